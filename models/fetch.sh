#!/usr/bin/env bash
# Extracts the MediaPipe .tflite models sueo runs from the npm package @mediapipe/holistic (pinned in
# package.json / package-lock.json) into models/, and checks each against models/SHA256SUMS.
# Does nothing when every file is already present and valid. Fails loudly on any mismatch.
#   models/fetch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
pkg_version=0.5.1675471629
pkg=node_modules/@mediapipe/holistic
hands_version=0.4.1675469240
hands_pkg=node_modules/@mediapipe/hands

if (cd models && sha256sum --quiet --status -c SHA256SUMS 2>/dev/null); then
  echo "models: all $(wc -l <models/SHA256SUMS) files present and valid"
  exit 0
fi

if [[ ! -f $pkg/package.json || ! -f $hands_pkg/package.json ]]; then
  echo "models: $pkg missing, running npm ci"
  npm ci --no-audit --no-fund
fi

# The package ships pose_landmark_full.tflite (and _lite) as files; the other models live inside the emscripten
# packed file holistic_solution_packed_assets.data at the byte ranges its loader script lists in
# loadPackage({"files":[{"filename","start","end"}, ...]}).
PKG=$pkg PKG_VERSION=$pkg_version HANDS_PKG=$hands_pkg HANDS_VERSION=$hands_version node - <<'JS'
const fs = require('fs');
const path = require('path');
const pkg = process.env.PKG;
for (const [dir, want] of [[pkg, process.env.PKG_VERSION], [process.env.HANDS_PKG, process.env.HANDS_VERSION]]) {
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  if (version !== want) throw new Error(`${dir} is version ${version}, want ${want} (run npm ci)`);
}
const wanted = ['pose_detection', 'hand_landmark_full', 'hand_recrop', 'palm_detection_full',
                'face_detection_short_range', 'face_landmark'];
const loader = fs.readFileSync(path.join(pkg, 'holistic_solution_packed_assets_loader.js'), 'utf8');
const match = loader.match(/loadPackage\((\{"files":.*?"remote_package_size":\s*\d+\})\)/s);
if (!match) throw new Error('no loadPackage({...}) table in the loader script');
const table = JSON.parse(match[1]);
const data = fs.readFileSync(path.join(pkg, 'holistic_solution_packed_assets.data'));
if (data.length !== table.remote_package_size) {
  throw new Error(`packed data is ${data.length} bytes, the loader says ${table.remote_package_size}`);
}
function write(name, bytes) {
  if (bytes.subarray(4, 8).toString('latin1') !== 'TFL3') throw new Error(`${name}: no TFL3 identifier`);
  fs.writeFileSync(path.join('models', name), bytes);
  console.log(`models: ${name} (${bytes.length} bytes)`);
}
for (const stem of wanted) {
  const entry = table.files.find((f) => path.basename(f.filename) === stem + '.tflite');
  if (!entry) throw new Error(`${stem}.tflite is not in the packed assets`);
  write(stem + '.tflite', data.subarray(entry.start, entry.end));
}
write('pose_landmark_full.tflite', fs.readFileSync(path.join(pkg, 'pose_landmark_full.tflite')));
// The cheaper options (--pose-model lite, --hand-model lite): MediaPipe's model_complexity 0 models, as
// files in the packages (@mediapipe/hands, Apache-2.0, for the hand one: holistic ships no lite hand).
write('pose_landmark_lite.tflite', fs.readFileSync(path.join(pkg, 'pose_landmark_lite.tflite')));
write('hand_landmark_lite.tflite', fs.readFileSync(path.join(process.env.HANDS_PKG, 'hand_landmark_lite.tflite')));
JS

if ! (cd models && sha256sum -c SHA256SUMS); then
  echo "models: CHECKSUM MISMATCH — the extracted files differ from models/SHA256SUMS" >&2
  exit 1
fi
