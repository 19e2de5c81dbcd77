/**
 * The one TensorFlow.js instance calozoo uses. Model packages import `tf` from `@calozoo/core`
 * rather than their own copy, so that the backends selected and the kernels and gradients
 * patched here (see `patches.ts`) are the ones they run on.
 *
 * `@tensorflow/tfjs-core` alone registers neither gradients nor chained ops in its Node build;
 * the union package `@tensorflow/tfjs` does, into the same global registries. It is imported
 * after `quiet.ts`, which keeps TensorFlow.js's start-up chatter off the console.
 */
import './quiet.js';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

export { tf };

