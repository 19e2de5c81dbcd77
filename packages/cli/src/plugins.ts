/**
 * Where model plugins come from: the first-party packages (through this one list), modules
 * named with --plugin, and CALOZOO_PLUGINS. Each module registers itself on import.
 */
import { importPlugins, type PluginImportReport } from '@calozoo/core';

/** First-party model packages, imported when installed. */
export const FIRST_PARTY_PLUGINS = ['@calozoo/caloman', '@calozoo/wgan', '@calozoo/bib-ae'] as const;

/** What plugin loading found: loaded modules, explicit modules that failed, first-party ones not installed. */
export interface PluginLoadReport extends PluginImportReport {
  /** First-party packages that are not installed or have no plugin yet. */
  unavailable: { module: string; reason: string }[];
}

/** Imports first-party plugins plus those named by --plugin and CALOZOO_PLUGINS. */
export async function loadPlugins(extra: readonly string[] = []): Promise<PluginLoadReport> {
  const env = (process.env.CALOZOO_PLUGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const firstParty = await importPlugins(FIRST_PARTY_PLUGINS);
  const explicit = await importPlugins([...extra, ...env].map(resolveModule));
  return { loaded: [...firstParty.loaded, ...explicit.loaded], failed: explicit.failed, unavailable: firstParty.failed };
}

/** Turns a relative file path into an importable URL; package names pass through. */
function resolveModule(m: string): string {
  if (m.startsWith('.') || m.startsWith('/')) return new URL(m, `file://${process.cwd()}/`).href;
  return m;
}
