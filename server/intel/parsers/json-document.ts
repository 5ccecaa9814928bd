/**
 * Parsing a whole JSON document that may have been cut off in transit: when JSON.parse fails
 * at the end of the input, the text is cut back to the last complete array element or object
 * member and the open brackets are closed, so the items read so far are kept and the caller
 * reports the truncation. Only a prefix is ever repaired; nothing is guessed in between.
 */
export type JsonDocument = { ok: true; value: unknown; truncated: boolean } | { ok: false; reason: string };

export function parseJsonDocument(text: string): JsonDocument {
  try {
    return { ok: true, value: JSON.parse(text), truncated: false };
  } catch (error) {
    const repaired = repairTruncated(text);
    if (repaired !== null) {
      try {
        return { ok: true, value: JSON.parse(repaired), truncated: true };
      } catch {
        // Not a clean truncation: fall through to the original error.
      }
    }
    return { ok: false, reason: `not valid JSON: ${(error as Error).message.slice(0, 120)}` };
  }
}

/**
 * The longest prefix of `text` that ends after a complete element, closed with the brackets
 * still open there; null when the text is not a truncated document (it is complete, or the
 * scan finds a stray closer, or nothing complete was read).
 */
function repairTruncated(text: string): string | null {
  const stack: string[] = [];
  let inString = false;
  let safeIndex = -1;
  let safeDepth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') stack.push(c === '{' ? '}' : ']');
    else if (c === '}' || c === ']') {
      if (stack.pop() !== c) return null;
      if (stack.length === 0) return null; // the document closed: not a truncation
      safeIndex = i + 1;
      safeDepth = stack.length;
    } else if (c === ',' && stack.length > 0) {
      safeIndex = i;
      safeDepth = stack.length;
    }
  }
  if (stack.length === 0 || safeIndex < 0) return null;
  // After the last safe point only openers were pushed (a closer is itself a safe point), so
  // the brackets open at the safe point are the bottom `safeDepth` of the stack.
  return text.slice(0, safeIndex) + stack.slice(0, safeDepth).reverse().join('');
}
