import { describe, expect, it } from 'vitest';
import { unexpectedStartupLines } from './stdio-guard.js';

describe('TensorFlow start-up output kept off the terminal', () => {
  it('drops absl information and warning lines and the pre-initialisation notice, keeps everything else', () => {
    const text = [
      'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR',
      'I0000 00:00:1796401046.025304   19130 port.cc:153] oneDNN custom operations are on. You may see slightly different numerical results.',
      'W0000 00:00:1796401046.149082   19130 cpu_feature_guard.cc:227] something TensorFlow warns about',
      'E0000 00:00:1796401046.149082   19130 cuda_dnn.cc:10] an error TensorFlow reports',
      'progress 10%: a line another part of the program wrote meanwhile',
      '',
    ].join('\n');
    expect(unexpectedStartupLines(text)).toEqual([
      'E0000 00:00:1796401046.149082   19130 cuda_dnn.cc:10] an error TensorFlow reports',
      'progress 10%: a line another part of the program wrote meanwhile',
    ]);
    expect(unexpectedStartupLines('')).toEqual([]);
  });
});
