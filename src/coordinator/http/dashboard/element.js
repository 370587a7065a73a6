/**
 * Creates a DOM element. Text goes in through text nodes only, never HTML, so names and error
 * messages from the cluster cannot inject markup.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined>} [attributes] `class`, `data-*`, `title`...; false/undefined are skipped
 * @param {...(Node | string | number | null | undefined)} children
 * @returns {HTMLElement}
 */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    // Through the CSSOM: the page's CSP refuses inline style attributes.
    if (name === 'style') node.style.cssText = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
