// The labels of a sign model (docs/model.md §5): the `sueo.labels` entry of the ONNX file's
// metadata_props, else a sidecar `<stem>.labels.json` / `<file>.labels.json`. The welcome and
// /healthz give only the label count; the recognition tests need the names to know which clip words
// the model can say at all.
import { existsSync, readFileSync } from 'node:fs';

// Reads a protobuf varint at `pos`: [value, next position]. Values here stay below 2^53.
function varint(buf, pos) {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const byte = buf[pos++];
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, pos];
    scale *= 128;
  }
}

// The top-level fields of one protobuf message: [{field, wire, value (Buffer for length-delimited)}].
function fields(buf) {
  const out = [];
  let pos = 0;
  while (pos < buf.length) {
    let key;
    [key, pos] = varint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      let v;
      [v, pos] = varint(buf, pos);
      out.push({ field, wire, value: v });
    } else if (wire === 1) {
      pos += 8;
    } else if (wire === 5) {
      pos += 4;
    } else if (wire === 2) {
      let length;
      [length, pos] = varint(buf, pos);
      out.push({ field, wire, value: buf.subarray(pos, pos + length) });
      pos += length;
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
  return out;
}

// onnx.proto: ModelProto.metadata_props = 14, StringStringEntryProto.key = 1, .value = 2.
export function onnxMetadata(file) {
  const meta = {};
  for (const f of fields(readFileSync(file))) {
    if (f.field !== 14 || f.wire !== 2) continue;
    const entry = {};
    for (const g of fields(f.value)) if (g.wire === 2) entry[g.field] = g.value.toString('utf8');
    if (entry[1] !== undefined) meta[entry[1]] = entry[2] ?? '';
  }
  return meta;
}

// [{word, gloss}] of the model, in output order.
export function modelLabels(file) {
  let json = onnxMetadata(file)['sueo.labels'];
  if (json === undefined) {
    const sidecar = [file.replace(/\.onnx$/, '.labels.json'), `${file}.labels.json`].find((f) => existsSync(f));
    if (!sidecar) throw new Error(`${file}: no sueo.labels metadata and no sidecar labels file`);
    json = readFileSync(sidecar, 'utf8');
  }
  let labels = JSON.parse(json);
  if (!Array.isArray(labels)) labels = labels.labels;
  return labels.map((l) => (typeof l === 'string' ? { word: l, gloss: '' } : { word: l.word, gloss: l.gloss ?? '' }));
}
