/**
 * Reading a feed body: line by line for plain and CSV feeds (never the whole body in memory;
 * an over-long line is reported, not buffered), or one whole document, capped, for JSON, STIX
 * and MISP.
 */
import { MAX_DOCUMENT_BYTES, MAX_LINE_CHARS, type ParserInput } from './types.ts';

export type Line = { line: number; text: string } | { line: number; tooLong: true; text: string };

/** Lines without their `\n` / `\r\n`, numbered from 1; a UTF-8 BOM at the start is dropped. */
export async function* readLines(input: ParserInput, maxChars = MAX_LINE_CHARS): AsyncGenerator<Line> {
  for await (const batch of readLineBatches(input, maxChars)) yield* batch;
}

/** The same lines, as the batches each input chunk completes (cheaper per line for big feeds). */
export async function* readLineBatches(input: ParserInput, maxChars = MAX_LINE_CHARS): AsyncGenerator<Line[]> {
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let tooLong = false;
  let number = 0;
  const emit = (raw: string, out: Line[]) => {
    number++;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    out.push(tooLong ? { line: number, tooLong: true, text: text.slice(0, 200) } : { line: number, text });
  };
  const split = (chunk: string): Line[] => {
    const out: Line[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      emit(pending === '' ? chunk.slice(start, nl) : pending + chunk.slice(start, nl), out);
      pending = '';
      tooLong = false;
      start = nl + 1;
    }
    if (!tooLong) {
      pending += chunk.slice(start);
      if (pending.length > maxChars) {
        tooLong = true;
        pending = pending.slice(0, 200);
      }
    }
    return out;
  };
  for await (const chunk of input) {
    const lines = split(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    if (lines.length > 0) yield lines;
  }
  const last = split(decoder.decode());
  if (pending !== '' || tooLong) emit(pending, last);
  if (last.length > 0) yield last;
}

/** The whole body as text, or `tooLarge` once it passes `maxBytes` (reading stops there). */
export async function readDocument(input: ParserInput, maxBytes = MAX_DOCUMENT_BYTES): Promise<{ text: string; tooLarge: boolean }> {
  const decoder = new TextDecoder('utf-8');
  const parts: string[] = [];
  let bytes = 0;
  for await (const chunk of input) {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (bytes > maxBytes) return { text: '', tooLarge: true };
    parts.push(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  }
  parts.push(decoder.decode());
  const text = parts.join('');
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, tooLarge: false };
}
