/**
 * `calozoo simulate`: writes showers from the built-in parametrised simulator.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** Registers the `simulate` command. */
export function registerSimulate(program: Command, ctx: CliContext): void {
  void program;
  void ctx;
}
