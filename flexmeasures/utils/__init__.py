"""Small pure helpers shared across the platform."""
