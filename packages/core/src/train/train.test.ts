import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { AbortedError, TrainingBudgetError } from '../errors.js';
import { tf } from '../device/tf.js';
import { forEachBackend } from '../testing/backends.js';
import type { HistoryRow, ProgressEvent } from '../model/interfaces.js';
import type { NamedTensor } from '../model-dir/safetensors.js';
import { batchSlices, shuffledRows } from './batches.js';
import { runPhase, newPhaseState, restoreVariables, type Phase, type PhaseState } from './phase.js';
import { namedValues } from '../nn/layer.js';
import { train, type TrainingPlan } from './trainer.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'calozoo-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** y = x·w_true + b_true + noise, 4 features; rows split 160 / 40. */
function regressionData(seed: number): { x: Float32Array; y: Float32Array; n: number } {
  const rng = new Rng(seed);
  const n = 200;
  const x = rng.fillNormal(new Float32Array(n * 4)) as Float32Array;
  const w = [1.5, -2, 0.5, 3];
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = 0.7 + w.reduce((a, wj, j) => a + wj * x[i * 4 + j]!, 0) + 0.1 * rng.normal();
  return { x, y, n };
}

function gather(a: Float32Array, d: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(a.subarray(rows[i]! * d, rows[i]! * d + d), i * d);
  return out;
}

/** A linear model and a tiny 'critic' (second optimiser) over the regression data. */
function model(seed: number) {
  const rng = new Rng(seed, 7);
  return {
    w: tf.variable(tf.tensor2d(rng.fillNormal(new Float32Array(4)) as Float32Array, [4, 1])),
    b: tf.variable(tf.zeros([1])),
    c: tf.variable(tf.tensor1d(rng.fillNormal(new Float32Array(3)) as Float32Array)),
  };
}
type Model = ReturnType<typeof model>;

function mse(m: Model, d: ReturnType<typeof regressionData>, rows: ArrayLike<number>, noise?: Rng): tf.Scalar {
  return tf.tidy(() => {
    const x = tf.tensor2d(gather(d.x, 4, rows), [rows.length, 4]);
    let y = tf.tensor2d(gather(d.y, 1, rows), [rows.length, 1]);
    // A little noise from the step's stream, so that resume must reproduce the streams exactly.
    if (noise) y = tf.add(y, tf.mul(0.01, tf.tensor2d(noise.fillNormal(new Float32Array(rows.length)) as Float32Array, [rows.length, 1])));
    return tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, m.w), m.b), y))) as tf.Scalar;
  });
}

function regressionPhase(m: Model, d: ReturnType<typeof regressionData>, over: Partial<Phase<Uint32Array>> = {}): Phase<Uint32Array> {
  const train = Uint32Array.from({ length: 160 }, (_, i) => i);
  const val = Uint32Array.from({ length: 40 }, (_, i) => 160 + i);
  return {
    name: 'fit',
    optimizers: [{ name: 'main', vars: { w: m.w, b: m.b }, learningRate: 0.05 }],
    updates: [{ optimizer: 'main', loss: (rows, rng) => mse(m, d, rows, rng) }],
    data: shuffledRows(160, 32, { rows: train }),
    maxEpochs: 12,
    validate: () => tf.tidy(() => mse(m, d, val).dataSync()[0]!),
    ...over,
  };
}

const values = (m: Model): number[] => [...m.w.dataSync(), ...m.b.dataSync(), ...m.c.dataSync()];
const dispose = (m: Model): void => Object.values(m).forEach((v) => v.dispose());
const noCheckpoint = { checkpointDue: () => false, checkpoint: async () => {} };

await forEachBackend(() => {
  describe('runPhase', () => {
    it('lowers the held-out loss, counts real units and restores the best epoch', async () => {
      const d = regressionData(1);
      const m = model(1);
      const events: ProgressEvent[] = [];
      const history: HistoryRow[] = [];
      const s = await runPhase(regressionPhase(m, d), newPhaseState(), { seed: 3, index: 0, deadline: Infinity, history, onProgress: (e) => events.push(e), ...noCheckpoint });
      expect(s.stoppedBy).toBe('epochs');
      expect(s.done).toBe(true);
      expect(history).toHaveLength(12);
      expect(history[11]!.validationLoss!).toBeLessThan(history[0]!.validationLoss! / 5);
      // 160 rows in batches of 32: 5 steps per epoch; the epoch events count epochs, the step events steps.
      const epochs = events.filter((e) => e.unit === 'epochs');
      expect(epochs.map((e) => e.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      expect(epochs.every((e) => e.total === 12)).toBe(true);
      const steps = events.filter((e) => e.unit === 'steps');
      expect(steps.at(-1)).toMatchObject({ done: 60, total: 60 });
      const best = Math.min(...history.map((h) => h.validationLoss!));
      expect(s.bestValidation).toBe(best);
      expect(s.bestEpoch).toBe(history.findIndex((h) => h.validationLoss === best));
      dispose(m);
    });

    it('stops early after `patience` epochs without improvement and keeps the best weights', async () => {
      const d = regressionData(2);
      const m = model(2);
      // A scripted validation score: best at epoch index 2, then worse.
      const scores = [5, 4, 3, 3.5, 3.6, 3.7, 3.8, 3.9];
      let e = 0;
      let atBest: number[] = [];
      const phase = regressionPhase(m, d, {
        validate: () => {
          if (e === 2) atBest = values(m);
          return scores[e++]!;
        },
        patience: 3,
      });
      const s = await runPhase(phase, newPhaseState(), { seed: 3, index: 0, deadline: Infinity, history: [], ...noCheckpoint });
      expect(s.stoppedBy).toBe('early-stopping');
      expect(s.epoch).toBe(6);
      expect(s.bestEpoch).toBe(2);
      expect(values(m)).toEqual(atBest);
      dispose(m);
    });

    it('keeps the best weights in its file when given one (not in memory), restores them and removes the file', async () => {
      const d = regressionData(2);
      const m = model(2);
      const scores = [5, 4, 3, 3.5, 3.6, 3.7, 3.8, 3.9];
      const bestFile = path.join(tmp, `best-${tf.getBackend()}.safetensors`);
      let e = 0;
      let atBest: number[] = [];
      let fileAtEpoch3: Buffer | null = null;
      const phase = regressionPhase(m, d, {
        validate: () => {
          if (e === 2) atBest = values(m);
          if (e === 3) fileAtEpoch3 = readFileSync(bestFile);
          return scores[e++]!;
        },
        patience: 3,
      });
      const written: Array<Record<string, number[]> | null> = [];
      const s = await runPhase(phase, newPhaseState(), {
        seed: 3,
        index: 0,
        deadline: Infinity,
        history: [],
        bestFile,
        checkpointDue: () => true,
        checkpoint: async (_state, _opt, best) => {
          written.push(best ? Object.fromEntries(Object.entries(best).map(([k, t]) => [k, Array.from('data' in t ? t.data : t.read())])) : null);
        },
      });
      expect(s.bestEpoch).toBe(2);
      expect(values(m)).toEqual(atBest);
      // The file held epoch 2's weights while the phase ran; checkpoints read it; it is gone at the end.
      expect(fileAtEpoch3).not.toBeNull();
      const last = written.at(-1)!;
      expect([...last['main/w']!, ...last['main/b']!]).toEqual(atBest.slice(0, 5));
      expect(existsSync(bestFile)).toBe(false);
      dispose(m);
    });

    it('split: accumulating the gradient of each batch over weighted halves follows the same steps as whole batches', async () => {
      const d = regressionData(4);
      const run = async (split: boolean): Promise<{ values: number[]; parts: number }> => {
        const m = model(4);
        let parts = 0;
        const base = regressionPhase(m, d, { maxEpochs: 3 });
        const phase: Phase<Uint32Array> = {
          ...base,
          updates: [
            {
              optimizer: 'main',
              loss: (rows, rng) => (parts++, mse(m, d, rows, rng)),
              ...(split ? { split: (rows: Uint32Array) => batchSlices(rows.length, 16).map((p) => ({ batch: rows.subarray(p.start, p.end), weight: p.weight })) } : {}),
            },
          ],
        };
        await runPhase(phase, newPhaseState(), { seed: 3, index: 0, deadline: Infinity, history: [], ...noCheckpoint });
        const out = { values: values(m), parts };
        dispose(m);
        return out;
      };
      const whole = await run(false);
      const halves = await run(true);
      // 3 epochs × 5 steps; every 32-row batch in two 16-row parts
      expect(whole.parts).toBe(15);
      expect(halves.parts).toBe(30);
      halves.values.forEach((v, i) => expect(v).toBeCloseTo(whole.values[i]!, 5));
    });

    it('batchSlices: even slices of at most maxRows rows whose weights are their share of the batch', () => {
      expect(batchSlices(512, 256)).toEqual([{ start: 0, end: 256, weight: 0.5 }, { start: 256, end: 512, weight: 0.5 }]);
      expect(batchSlices(100, 1000)).toEqual([{ start: 0, end: 100, weight: 1 }]);
      const s = batchSlices(10, 3);
      expect(s.map((p) => p.end - p.start)).toEqual([3, 2, 3, 2]);
      expect(s.reduce((a, p) => a + p.weight, 0)).toBeCloseTo(1, 12);
      expect(s.every((p, i) => p.start === (i ? s[i - 1]!.end : 0))).toBe(true);
    });

    it('minEpochs: a deadline after the minimum epochs (reached within the 4 timed steps) stops by time, without a budget error', async () => {
      const d = regressionData(5);
      const m = model(5);
      const busy = (ms: number) => {
        const end = Date.now() + ms;
        while (Date.now() < end);
      };
      const train = Uint32Array.from({ length: 160 }, (_, i) => i);
      // 2 steps per epoch: the first epoch is fast (so the re-plan allows more), step 3 overruns the
      // 0.4 s deadline, which is then met at the top of step 4, before the probe's fourth step.
      let calls = 0;
      const loss = (rows: Uint32Array, rng: Rng) => (busy(++calls === 3 ? 500 : 10), mse(m, d, rows, rng));
      const phase = regressionPhase(m, d, { maxEpochs: 100, data: shuffledRows(160, 64, { rows: train }), updates: [{ optimizer: 'main', loss }] });
      expect(phase.data.steps).toBe(2);
      const s = await runPhase(phase, newPhaseState(), { seed: 3, index: 0, deadline: Date.now() + 400, minEpochs: 1, history: [], ...noCheckpoint });
      expect(calls).toBe(3);
      expect(s.stoppedBy).toBe('time');
      expect(s.epoch).toBe(1);
      dispose(m);
    });

    it('runs several optimisers on a schedule: critic every step (twice), generator every third step', async () => {
      const d = regressionData(3);
      const m = model(3);
      const calls = { critic: 0, generator: 0 };
      const phase: Phase<Uint32Array> = {
        ...regressionPhase(m, d),
        optimizers: [
          { name: 'critic', vars: { c: m.c }, learningRate: 0.01 },
          { name: 'generator', vars: { w: m.w, b: m.b }, learningRate: 0.05, schedule: 'cosine' },
        ],
        updates: [
          { optimizer: 'critic', repeat: 2, loss: () => (calls.critic++, tf.sum(tf.square(m.c)) as tf.Scalar) },
          { optimizer: 'generator', every: 3, loss: (rows) => (calls.generator++, mse(m, d, rows)) },
        ],
        maxEpochs: 3,
      };
      const optimizers: Record<string, NamedTensor>[] = [];
      const history: HistoryRow[] = [];
      const c0 = Array.from(m.c.dataSync());
      await runPhase(phase, newPhaseState(), {
        seed: 3, index: 0, deadline: Infinity, history,
        checkpointDue: () => false,
        // Deferred tensors are read when the checkpoint is written: read them now, as a writer would.
        checkpoint: async (_s, o) => void optimizers.push(Object.fromEntries(Object.entries(o).map(([k, t]) => [k, 'data' in t ? t : { dtype: t.dtype, shape: t.shape, data: new Float32Array(t.read()) }]))),
      });
      // 3 epochs × 5 steps = 15 steps: 30 critic updates, generator on steps 3, 6, …, 15.
      expect(calls).toEqual({ critic: 30, generator: 5 });
      const o = optimizers.at(-1)!;
      expect(o['critic/step']!.data[0]).toBe(30);
      expect(o['generator/step']!.data[0]).toBe(5);
      expect(Math.hypot(...m.c.dataSync())).toBeLessThan(Math.hypot(...c0));
      // Every update's mean loss is recorded per epoch.
      expect(Object.keys(history[0]!.values!)).toEqual(['critic', 'generator']);
      dispose(m);
    });

    it('resetEachEpoch: the network starts every epoch from fresh values and its optimiser from zero moments', async () => {
      const d = regressionData(3);
      const m = model(3);
      const resets: number[] = [];
      const ends: number[][] = [];
      const steps: number[] = [];
      const phase: Phase<Uint32Array> = {
        ...regressionPhase(m, d),
        optimizers: [
          { name: 'main', vars: { w: m.w, b: m.b }, learningRate: 0.05 },
          { name: 'reset', vars: { c: m.c }, learningRate: 0.1, resetEachEpoch: (epoch) => (resets.push(epoch), m.c.assign(tf.fill([3], 1))) },
        ],
        updates: [
          { optimizer: 'main', loss: (rows) => mse(m, d, rows) },
          // Drives c towards (−1, −1, −1): every epoch repeats the same 5 Adam steps only if c and the moments restart.
          { optimizer: 'reset', loss: () => tf.sum(tf.square(tf.add(m.c, 1))) as tf.Scalar },
        ],
        maxEpochs: 3,
        validate: () => (ends.push(Array.from(m.c.dataSync())), 0),
      };
      await runPhase(phase, newPhaseState(), {
        seed: 3, index: 0, deadline: Infinity, history: [], checkpointDue: () => false,
        checkpoint: async (_s, o) => void steps.push(Number((o['reset/step'] as { data: Float64Array }).data[0])),
      });
      expect(resets).toEqual([0, 1, 2]);
      // 5 steps per epoch from c = 1 with fresh moments: Adam moves each coordinate by about lr per step.
      for (const e of ends) e.forEach((v, i) => expect(v).toBeCloseTo(ends[0]![i]!, 5));
      expect(ends[0]![0]).toBeCloseTo(0.5, 1);
      // The final checkpoint holds the optimiser's step count of the last epoch only.
      expect(steps.at(-1)).toBe(5);
      dispose(m);
    });

    it('stops at a target score with stop reason `target`', async () => {
      const d = regressionData(4);
      const m = model(4);
      let first = NaN;
      const target = (v: number): boolean => (Number.isNaN(first) && (first = v), v < first / 4);
      const s = await runPhase(regressionPhase(m, d, { stopWhen: target }), newPhaseState(), { seed: 3, index: 0, deadline: Infinity, history: [], ...noCheckpoint });
      expect(s.stoppedBy).toBe('target');
      expect(s.epoch).toBeLessThan(12);
      expect(s.bestValidation).toBeLessThan(first / 4);
      dispose(m);
    });

    it('on a non-finite loss rolls back to the last good epoch, writes that checkpoint and says so', async () => {
      const d = regressionData(5);
      const reference = model(5);
      await runPhase(regressionPhase(reference, d, { maxEpochs: 2, restoreBest: false }), newPhaseState(), { seed: 3, index: 0, deadline: Infinity, history: [], ...noCheckpoint });
      const m = model(5);
      let step = 0;
      const warnings: string[] = [];
      const written: PhaseState[] = [];
      const phase = regressionPhase(m, d, {
        restoreBest: false,
        // Epoch 3 (0-based 2), step 2: the loss blows up.
        updates: [{ optimizer: 'main', loss: (rows, rng) => (step++ === 12 ? (tf.mul(tf.sum(m.w), NaN) as tf.Scalar) : mse(m, d, rows, rng)) }],
      });
      const s = await runPhase(phase, newPhaseState(), {
        seed: 3, index: 0, deadline: Infinity, history: [],
        logger: { info: () => {}, warn: (w) => warnings.push(w) },
        checkpointDue: () => false,
        checkpoint: async (st) => void written.push(structuredClone(st)),
      });
      expect(s.stoppedBy).toBe('divergence');
      expect(s.done).toBe(false);
      expect(s.divergence).toMatchObject({ epoch: 2, step: 2, rolledBackTo: 2 });
      expect(s).toMatchObject({ epoch: 2, step: 0 });
      expect(values(m)).toEqual(values(reference));
      expect(warnings.join()).toMatch(/diverged at epoch 3, step 3 \(main loss NaN\).*rolled back to the end of epoch 2/);
      expect(written.at(-1)).toMatchObject({ stoppedBy: 'divergence', epoch: 2 });
      dispose(m);
      dispose(reference);
    });

    it('a custom divergence test (an exploding loss) stops the phase too', async () => {
      const d = regressionData(6);
      const m = model(6);
      const phase = regressionPhase(m, d, { diverged: (l) => (l['main']! > 1e-9 ? `main loss ${l['main']} > 1e-9` : null) });
      const s = await runPhase(phase, newPhaseState(), { seed: 3, index: 0, deadline: Infinity, history: [], ...noCheckpoint });
      expect(s.stoppedBy).toBe('divergence');
      expect(s.divergence).toMatchObject({ epoch: 0, step: 0, rolledBackTo: 0 });
      dispose(m);
    });
  });

  describe('train', () => {
    /** Two phases and a task between them; the second phase's data depend on the first's result. */
    /** The plan with every loss call busy for `ms` milliseconds and `maxEpochs` per phase. */
    function slowPlan(p: TrainingPlan, ms: number, maxEpochs: number): TrainingPlan {
      const busy = (): void => {
        const end = Date.now() + ms;
        while (Date.now() < end);
      };
      for (const s of p.stages) {
        if (!s.phase) continue;
        const build = s.phase;
        s.phase = async () => {
          const ph = await build();
          return { ...ph, maxEpochs, updates: ph.updates.map((u) => ({ ...u, loss: (b: never, r: Rng) => (busy(), u.loss(b, r)) })) };
        };
      }
      return p;
    }

    function plan(m: Model, d: ReturnType<typeof regressionData>, log: string[], onCriticStep?: (k: number) => void): TrainingPlan {
      let offset = 0;
      let criticSteps = 0;
      return {
        name: 'toy',
        stages: [
          { name: 'linear', phase: () => regressionPhase(m, d, { maxEpochs: 4 }) },
          { name: 'offset', task: () => void (offset = m.b.dataSync()[0]!, log.push('offset')) },
          {
            name: 'critic',
            share: 2,
            phase: () => ({
              name: 'critic',
              optimizers: [{ name: 'critic', vars: { c: m.c }, learningRate: 0.02, schedule: 'cosine' as const }],
              updates: [{ optimizer: 'critic', loss: (rows: Uint32Array, rng: Rng) => (onCriticStep?.(++criticSteps), tf.tidy(() => tf.mean(tf.square(tf.sub(m.c, offset + 0.1 * rng.normal() + rows[0]! * 1e-3))) as tf.Scalar)) }],
              data: shuffledRows(40, 8),
              maxEpochs: 5,
            }),
          },
        ],
        weights: () => namedValues({ w: m.w, b: m.b, c: m.c }),
        setWeights: (w) => restoreVariables({ w: m.w, b: m.b, c: m.c }, w),
        state: () => ({ offset }),
        setState: (s) => void (offset = (s as { offset: number }).offset),
      };
    }

    it('an aborted run resumed from its checkpoint ends bit-exactly where the uninterrupted run ends', async () => {
      const d = regressionData(7);
      const straight = model(7);
      const r0 = await train(plan(straight, d, []), { seed: 11 });
      expect(r0.stoppedBy).toBe('epochs');
      expect(r0.stages).toMatchObject({ linear: { epochs: 4 }, offset: { stoppedBy: 'epochs' }, critic: { epochs: 5 } });

      const dir = path.join(tmp, 'resume');
      const first = model(7);
      const controller = new AbortController();
      // Abort in the middle of the critic's third epoch (5 steps per epoch).
      const r1 = await train(plan(first, d, [], (k) => k === 12 && controller.abort()), { seed: 11, checkpointDir: dir, checkpointEverySeconds: 0, signal: controller.signal });
      expect(r1.stoppedBy).toBe('abort');
      const state = JSON.parse(readFileSync(path.join(dir, readFileSync(path.join(dir, 'latest'), 'utf8').trim(), 'state.json'), 'utf8'));
      expect(state.phases[2]).toMatchObject({ epoch: 2, step: 2, done: false, stoppedBy: 'abort' });
      expect(state.plugin.offset).toBe(first.b.dataSync()[0]);

      const resumed = model(70); // other initial weights: all must come from the checkpoint
      const log: string[] = [];
      const r2 = await train(plan(resumed, d, log), { seed: 11, checkpointDir: dir, resume: true });
      expect(log).toEqual([]); // the task ran before the abort and is not repeated
      expect(r2.history.map((h) => [h.phase, h.epoch, h.trainLoss, h.validationLoss])).toEqual(r0.history.map((h) => [h.phase, h.epoch, h.trainLoss, h.validationLoss]));
      expect(values(resumed)).toEqual(values(straight));
      for (const m of [straight, first, resumed]) dispose(m);
    });

    it('Ctrl-C during the last epoch validation stops there: no later stage is prepared, and a validation that checks the signal returns at once', async () => {
      const d = regressionData(9);
      for (const checks of [false, true]) {
        const m = model(9);
        const controller = new AbortController();
        const p = plan(m, d, []);
        let criticBuilt = false;
        let validations = 0;
        const linear = p.stages[0]!.phase!;
        p.stages[0]!.phase = async () => ({
          ...(await linear()),
          maxEpochs: 2,
          validate: () => {
            validations += 1;
            if (validations === 2) {
              controller.abort();
              if (checks) throw new AbortedError('validation interrupted');
            }
            return 1 / validations;
          },
        });
        const critic = p.stages[2]!.phase!;
        p.stages[2]!.phase = async () => ((criticBuilt = true), critic());
        const r = await train(p, { seed: 11, signal: controller.signal });
        expect(r.stoppedBy).toBe('abort');
        expect(criticBuilt).toBe(false);
        // Without the check the phase ends normally after its last epoch; with it the epoch is left unvalidated.
        expect(r.stages['linear']).toMatchObject(checks ? { epochs: 1, stoppedBy: 'abort' } : { epochs: 2, stoppedBy: 'epochs' });
        dispose(m);
      }
    });

    it('shares a time limit between the phases by their shares, and the ETA keeps within it', async () => {
      const d = regressionData(8);
      const m = model(8);
      // Slow steps (~10 ms) and many epochs, so that only the time limit stops each phase.
      const p = slowPlan(plan(m, d, []), 10, 10_000);
      const etas: number[] = [];
      const start = Date.now();
      const r = await train(p, { seed: 1, timeLimitSeconds: 3, onProgress: (e) => e.etaSeconds !== undefined && etas.push(e.etaSeconds - (3 - (Date.now() - start) / 1000)) });
      expect(r.stoppedBy).toBe("time");
      expect(r.stages['linear']!.stoppedBy).toBe('time');
      expect(r.stages['critic']!.stoppedBy).toBe('time');
      // 1 : 2 shares of 3 s: about 1 s and 2 s (a step or an epoch's validation may overrun).
      expect(r.stages['linear']!.seconds).toBeGreaterThan(0.6);
      expect(r.stages['linear']!.seconds).toBeLessThan(1.6);
      expect(r.stages['critic']!.seconds).toBeGreaterThan(1.4);
      expect(r.seconds).toBeLessThan(4);
      // The ETA never promises more than the time left (up to one event's rounding).
      expect(Math.max(...etas)).toBeLessThan(0.1);
      dispose(m);
    });

    it('fails before training a phase whose share of the time limit cannot fit one epoch, naming the need and the fix', async () => {
      const d = regressionData(9);
      // 5 steps of ~150 ms per epoch (0.75 s) against a 0.6 s limit shared 1 : 2: the first phase gets 0.2 s.
      const slow = (m: Model) => slowPlan(plan(m, d, []), 150, 100);
      const m = model(9);
      const err = await train(slow(m), { seed: 1, timeLimitSeconds: 0.6 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TrainingBudgetError);
      const e = err as TrainingBudgetError;
      expect(e.code).toBe('TRAINING_BUDGET');
      expect(e.detail.phase).toBe('fit');
      expect(e.detail.secondsPerStep).toBeGreaterThan(0.12);
      expect(e.detail.needSeconds).toBeGreaterThan(e.detail.haveSeconds);
      // one epoch of each phase at ≥ 0.6 s: the suggestion covers both shares
      expect(e.detail.suggestedTimeSeconds!).toBeGreaterThan(1.5);
      expect(e.message).toMatch(/time limit is too short.*fit: 1 epoch \(5 steps each\).*No model was written.*at least \d+s/);
      // The check can be turned off: the time limit then simply stops the phases.
      const m2 = model(9);
      const r = await train(slow(m2), { seed: 1, timeLimitSeconds: 0.6, minEpochsPerPhase: 0 });
      expect(r.stoppedBy).toBe('time');
      dispose(m);
      dispose(m2);
    });

    it('refuses to resume a checkpoint of another plan', async () => {
      const d = regressionData(9);
      const m = model(9);
      const dir = path.join(tmp, 'other');
      await train(plan(m, d, []), { seed: 1, epochs: 1, checkpointDir: dir });
      const other = plan(m, d, []);
      other.stages = other.stages.slice(0, 1);
      await expect(train(other, { seed: 1, checkpointDir: dir, resume: true })).rejects.toThrow(/stages \[linear, offset, critic\].*\[linear\]/);
      dispose(m);
    });
  });
});

await forEachBackend(() => {
  describe('train with checkpoints', () => {
    it('on divergence rolls back to the last checkpoint on disk (no copy in memory) and resume continues from it', async () => {
      const d = regressionData(12);
      const m = model(12);
      const dir = path.join(tmp, 'diverge');
      let calls = 0;
      const warnings: string[] = [];
      const plan: TrainingPlan = {
        name: 'toy',
        stages: [
          {
            name: 'fit',
            // Step 13 (epoch 3, step 3) blows up; a checkpoint is written after every step.
            phase: () => regressionPhase(m, d, { updates: [{ optimizer: 'main', loss: (rows, rng) => (++calls === 13 ? (tf.mul(tf.sum(m.w), NaN) as tf.Scalar) : mse(m, d, rows, rng)) }] }),
          },
        ],
        weights: () => namedValues({ w: m.w, b: m.b }),
        setWeights: (w) => restoreVariables({ w: m.w, b: m.b }, w),
      };
      const r = await train(plan, { seed: 2, checkpointDir: dir, checkpointEverySeconds: 0, logger: { info: () => {}, warn: (w) => warnings.push(w) } });
      expect(r.stoppedBy).toBe('divergence');
      expect(r.divergence).toMatchObject({ stage: 'fit', epoch: 2, step: 2, rolledBackTo: 2 });
      expect(warnings.join()).toMatch(/rolled back to the last checkpoint \(epoch 2, step 2\)/);
      // The weights are the checkpoint's, and the history holds only the two good epochs.
      const latest = readFileSync(path.join(dir, 'latest'), 'utf8').trim();
      const state = JSON.parse(readFileSync(path.join(dir, latest, 'state.json'), 'utf8'));
      expect(state.phases[0]).toMatchObject({ epoch: 2, step: 2, stoppedBy: 'divergence', done: false });
      expect(r.history).toHaveLength(2);
      // Resuming (the loss no longer blows up) finishes the phase.
      const again = await train(plan, { seed: 2, checkpointDir: dir, resume: true });
      expect(again.stoppedBy).toBe('epochs');
      expect(again.stages['fit']!.epochs).toBe(12);
      dispose(m);
    });
  });
});
