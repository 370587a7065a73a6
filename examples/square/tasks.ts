import { context } from 'drover/task';

/** Square a number and report which remote worker received it. */
export function square(x: number): { x: number; square: number; worker: string; agent: string } {
  return { x, square: x * x, worker: context.worker, agent: context.agent };
}
