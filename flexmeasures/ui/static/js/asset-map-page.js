/* The map of a page (dashboard, asset pages): its settings in #asset-map-data. */
window.flexmeasuresAssetMap("asset-map", "asset-map-data");
