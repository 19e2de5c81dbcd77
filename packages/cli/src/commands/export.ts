/**
 * `calozoo export <model-dir>`: writes the model's generation networks as ONNX graphs into
 * `<model-dir>/onnx/` with `metadata.json`; `calozoo generate` then runs them with onnxruntime.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { ModelFormatError, isOnnxExportable, loadModel, readModelConfig, readOnnxInfo, selectTfBackend, type OnnxExportMetadata } from '@calozoo/core';
import type { CliContext } from '../context.js';
import { loadPlugins } from '../plugins.js';

/** One written graph as reported by `export`. */
interface ExportedGraph {
  role: string;
  file: string;
  bytes: number;
  nodes: number;
  opTypes: string[];
  inputs: string[];
  outputs: string[];
}

/** Exports the model in `dir` and checks that every written graph decodes; returns what was written. */
async function exportModel(dir: string): Promise<{ metadata: OnnxExportMetadata; graphs: ExportedGraph[] }> {
  const cfg = await readModelConfig(dir);
  const model = await loadModel(dir);
  try {
    if (!isOnnxExportable(model)) {
      throw new ModelFormatError(`${dir}: plugin "${cfg.plugin}" has no ONNX export; generate with --runtime tfjs.`);
    }
    const metadata = await model.exportOnnx(dir);
    const graphs: ExportedGraph[] = [];
    for (const [role, g] of Object.entries(metadata.graphs)) {
      const file = path.join(dir, g.file);
      const info = await readOnnxInfo(file);
      graphs.push({ role, file, bytes: (await fs.stat(file)).size, nodes: info.nodeCount, opTypes: info.opTypes, inputs: info.inputs, outputs: info.outputs });
    }
    return { metadata, graphs };
  } finally {
    model.dispose();
  }
}

/** Registers the `export` command. */
export function registerExport(program: Command, ctx: CliContext): void {
  program
    .command('export')
    .description('export a trained model\'s generation networks to ONNX (<model-dir>/onnx/), used by `generate` by default')
    .argument('<model-dir>', 'model directory written by `calozoo train`')
    .addHelpText('after', '\nExample:\n  calozoo export models/caloman-ds1 && calozoo generate models/caloman-ds1 --energies 65536 --n 1000 --seed 1 --out gen.h5')
    .action(async (dir: string, _flags: unknown, cmd: Command) => {
      const out = ctx.output(cmd);
      await loadPlugins(cmd.optsWithGlobals().plugin ?? []);
      await selectTfBackend({});
      const r = await exportModel(dir);
      out.result(r, () =>
        [
          `exported ${r.metadata.plugin}@${r.metadata.pluginVersion} (${r.metadata.geometry}), ONNX opset ${r.metadata.opset}:`,
          ...r.graphs.map((g) => `  ${g.file}: ${(g.bytes / 1e6).toFixed(2)} MB, ${g.nodes} nodes, inputs ${g.inputs.join(', ')} → ${g.outputs.join(', ')}`),
          `  ${path.join(dir, 'onnx', 'metadata.json')}`,
        ].join('\n'),
      );
    });
}
