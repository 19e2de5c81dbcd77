/**
 * Scores of a binary classifier on labelled data: exact ROC AUC from ranks (the Mann–Whitney U
 * statistic, ties counted one half, as `sklearn.metrics.roc_auc_score`), binary cross-entropy,
 * accuracy and the CaloChallenge JSD estimate (ln 2 − BCE)/ln 2 (field-reference.md §2.4).
 */
import { InvalidArgumentError } from '@calozoo/core';

function checkLengths(what: string, a: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (a.length !== labels.length) throw new InvalidArgumentError(`${what}: ${a.length} scores but ${labels.length} labels; pass one label per score`);
}

/**
 * Exact area under the ROC curve of `scores` for binary `labels` (1 = positive): the
 * probability that a random positive scores above a random negative, ties counting ½,
 * computed from average ranks in O(n log n).
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths('rocAuc', scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  let rankSumPos = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && scores[order[j]] === scores[order[i]]) j++;
    const avgRank = (i + 1 + j) / 2; // ranks i+1 … j
    for (let k = i; k < j; k++) {
      if (labels[order[k]] === 1) {
        nPos++;
        rankSumPos += avgRank;
      }
    }
    i = j;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new InvalidArgumentError(`rocAuc: need both classes, got ${nPos} positives and ${nNeg} negatives`);
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Mean binary cross-entropy −[y ln p + (1−y) ln(1−p)] of probabilities `p`; logarithms are
 * clamped at −100 as in `torch.nn.BCELoss`.
 */
export function binaryCrossEntropy(p: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths('binaryCrossEntropy', p, labels);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const y = labels[i];
    const lp = Math.max(-100, Math.log(p[i]));
    const lq = Math.max(-100, Math.log1p(-p[i]));
    s -= y * lp + (1 - y) * lq;
  }
  return s / p.length;
}

/** Mean binary cross-entropy of logits, computed stably as max(x,0) − x·y + ln(1 + e^−|x|). */
export function logitCrossEntropy(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths('logitCrossEntropy', logits, labels);
  let s = 0;
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    s += Math.max(x, 0) - x * labels[i] + Math.log1p(Math.exp(-Math.abs(x)));
  }
  return s / logits.length;
}

/** The CaloChallenge JSD estimate in bits, (ln 2 − BCE)/ln 2 (§2.4 step 5); 0 for BCE = ln 2. */
export function jsdFromBce(bce: number): number {
  return (Math.LN2 - bce) / Math.LN2;
}

/** Fraction of correct decisions, predicting 1 when p > 0.5 (NumPy's round-half-to-even on p). */
export function accuracy(p: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths('accuracy', p, labels);
  let ok = 0;
  for (let i = 0; i < p.length; i++) if ((p[i] > 0.5 ? 1 : 0) === labels[i]) ok++;
  return ok / p.length;
}

/** Logistic sigmoid in float64, 1/(1 + e^−x), stable for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
