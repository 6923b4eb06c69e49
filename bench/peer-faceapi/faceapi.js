/*
 * bench/peer, the face-api side: the same photos (raw BGR dumps written
 * by bench-peer, so both sides see identical pixels and neither pays
 * for decoding) through @vladmandic/face-api on tfjs' WASM backend:
 * SSD MobileNet v1 detection, 68 landmarks, 128-d descriptor; score =
 * minus the euclidean distance.  One warm-up pass, then a timed pass.
 *
 * usage: node faceapi.js DUMP_DIR
 * DUMP_DIR/list.txt holds "file identity" lines; DUMP_DIR/<file>.bgr
 * holds "W H\n" then W*H*3 bytes of BGR.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

function readRaw(file) {
  const buf = fs.readFileSync(file);
  const nl = buf.indexOf(10);
  const [w, h] = buf.subarray(0, nl).toString().split(' ').map(Number);
  const px = buf.subarray(nl + 1);
  const rgb = new Int32Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    rgb[3 * i] = px[3 * i + 2];
    rgb[3 * i + 1] = px[3 * i + 1];
    rgb[3 * i + 2] = px[3 * i];
  }
  return tf.tensor3d(rgb, [h, w, 3], 'int32');
}

function eer(gen, imp) {
  const all = gen.concat(imp);
  let best = { d: 2, eer: 0 };
  for (const t of all) {
    const far = imp.filter((s) => s >= t).length / imp.length;
    const frr = gen.filter((s) => s < t).length / gen.length;
    const d = Math.abs(far - frr);
    if (d < best.d) best = { d, eer: (far + frr) / 2 };
  }
  return 100 * best.eer;
}

async function main() {
  const dir = process.argv[2];
  const distDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/');
  wasm.setWasmPaths(distDir);
  await tf.setBackend('wasm');
  await tf.ready();
  const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(modelDir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(modelDir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const options = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 10 });

  const list = fs.readFileSync(path.join(dir, 'list.txt'), 'utf8').trim().split('\n').map((l) => l.split(' '));
  const tensors = list.map(([file]) => readRaw(path.join(dir, `${file}.bgr`)));
  const desc = new Array(list.length).fill(null);
  let ms = 0;
  let cpu = 0;
  for (let pass = 0; pass < 2; pass++) {
    ms = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < list.length; i++) {
      const t0 = performance.now();
      const r = await faceapi.detectSingleFace(tensors[i], options).withFaceLandmarks().withFaceDescriptor();
      ms += performance.now() - t0;
      if (pass === 1) desc[i] = r ? r.descriptor : null;
    }
    const c1 = process.cpuUsage(c0);
    cpu = (c1.user + c1.system) / 1000;
  }
  let fail = 0;
  for (let i = 0; i < list.length; i++) if (!desc[i]) fail++;
  const gen = [];
  const imp = [];
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const s = desc[i] && desc[j] ? -faceapi.euclideanDistance(desc[i], desc[j]) : -1e9;
      (list[i][1] === list[j][1] ? gen : imp).push(s);
    }
  }
  tensors.forEach((t) => tf.dispose(t));
  console.log(`faceapi: backend=${tf.getBackend()} threads=${wasm.getThreadsCount ? wasm.getThreadsCount() : '?'} images=${list.length} detect_fail=${fail} genuine=${gen.length} impostor=${imp.length}`);
  console.log(`faceapi_cpu_ms=${(cpu / list.length).toFixed(2)}`);
  console.log(`faceapi_ms=${(ms / list.length).toFixed(2)} faceapi_eer=${eer(gen, imp).toFixed(2)}`);
}

main().catch((e) => { console.error(`faceapi: ${e.stack || e}`); process.exit(1); });
