/**
 * Runs the TypeScript examples of a package README so that they cannot rot (zuko tests its
 * docstring examples the same way). Every ```ts block is written to a temporary module inside
 * the package (so that imports resolve as for the package's own tests) and imported.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Extracts the ```ts code blocks of a markdown text. */
export function extractTsBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const re = /```ts\n([\s\S]*?)```/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(markdown))) blocks.push(m[1]);
  return blocks;
}

/**
 * Imports every ```ts block of `readmePath` as a module placed in `workDir` (default: the
 * README's directory, under `test/`), in order, and returns how many ran. Throws if there are none.
 */
export async function runReadmeExamples(readmePath: string, options: { workDir?: string } = {}): Promise<number> {
  const text = await fs.readFile(readmePath, 'utf8');
  const blocks = extractTsBlocks(text);
  if (blocks.length === 0) throw new Error(`${readmePath}: no \`\`\`ts example found`);
  const dir = options.workDir ?? path.join(path.dirname(readmePath), 'test');
  await fs.mkdir(dir, { recursive: true });
  for (let i = 0; i < blocks.length; i++) {
    const file = path.join(dir, `.readme-example-${process.pid}-${i}.ts`);
    await fs.writeFile(file, blocks[i]);
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      await fs.rm(file, { force: true });
    }
  }
  return blocks.length;
}
