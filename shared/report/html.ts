/** Text for HTML content and attribute values: every character that could open markup, escaped. */
export const escapeHtml = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
