// Runs an ONNX model with onnxruntime-web (its WebAssembly build, as a browser runs it) on a
// float32 input read from a raw file, and writes the named outputs as raw float32 files.
// Usage: node run_model.mjs MODEL INPUT_NAME INPUT.f32 N,C,H,W OUT_DIR OUTPUT...
import { readFileSync, writeFileSync } from "node:fs";
import * as ort from "onnxruntime-web";

const [model, inputName, inputFile, shapeText, outDir, ...outputs] = process.argv.slice(2);
const shape = shapeText.split(",").map(Number);
const raw = readFileSync(inputFile);
const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
ort.env.wasm.numThreads = 1;
const session = await ort.InferenceSession.create(readFileSync(model), { executionProviders: ["wasm"] });
const started = performance.now();
const result = await session.run({ [inputName]: new ort.Tensor("float32", data, shape) }, outputs);
const ms = performance.now() - started;
for (const name of outputs) {
  const tensor = result[name];
  writeFileSync(`${outDir}/${name}.f32`, Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
}
console.log(JSON.stringify({ ms, version: ort.env.versions?.web ?? null }));
