/**
 * SQS accepts only the characters XML 1.0 allows in a message body or string attribute: #x9, #xA,
 * #xD, #x20-#xD7FF, #xE000-#xFFFD and #x10000-#x10FFFF (SQS API Reference, SendMessage,
 * "MessageBody"); one character outside them fails the whole request. An S3 key may hold any of
 * the others, so text that carries keys goes through these helpers.
 */

/**
 * A message as JSON that SQS accepts. `JSON.stringify` already escapes control characters and lone
 * surrogates; the noncharacters U+FFFE and U+FFFF, legal in an S3 key, it leaves raw. Escaping them
 * too keeps the body the same JSON value, so `JSON.parse` gives back the exact key.
 */
export function queueBody(message: object): string {
  return JSON.stringify(message).replace(/[\uFFFE\uFFFF]/g, escapeUnit);
}

// Every code point SQS refuses; with the `u` flag a lone surrogate is one code point of its own.
const REFUSED = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * Free text (an error reason naming a key) cut to `max` UTF-16 units, without splitting a
 * surrogate pair, with each character SQS refuses shown as a `\uXXXX` escape.
 */
export function queueText(text: string, max: number): string {
  let cut = text.slice(0, max);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut.replace(REFUSED, escapeUnit);
}

function escapeUnit(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}
