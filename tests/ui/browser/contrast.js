// Returns the visible texts whose colour contrast with their background is below WCAG AA
// (4.5:1; 3:1 for large text). Backgrounds are looked up through the ancestors; a
// translucent one is laid over white. Used by the browser tests (page.evaluate).
() => {
  const parse = (css) => (css.match(/[\d.]+/g) || [0, 0, 0, 0]).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const overWhite = ([r, g, b, a = 1]) => [r, g, b].map((v) => v * a + 255 * (1 - a));
  const background = (element) => {
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if ((colour[3] ?? 1) > 0) return overWhite(colour);
    }
    return [255, 255, 255];
  };
  const problems = [];
  for (const element of document.querySelectorAll("body *")) {
    const ownText = [...element.childNodes]
      .filter((node) => node.nodeType === 3).map((node) => node.textContent.trim()).join(" ");
    if (!ownText || !element.getClientRects().length) continue;
    const style = getComputedStyle(element);
    if (style.visibility === "hidden" || Number(style.opacity) === 0) continue;
    const rect = element.getBoundingClientRect();
    if (rect.right < 0 || rect.bottom < 0 || rect.width === 0) continue;  // e.g. skip link
    const text = luminance(overWhite(parse(style.color)));
    const back = luminance(background(element));
    const ratio = (Math.max(text, back) + 0.05) / (Math.min(text, back) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push(`${element.tagName.toLowerCase()} "${ownText.slice(0, 40)}": ${ratio.toFixed(2)}`);
    }
  }
  return problems;
}
