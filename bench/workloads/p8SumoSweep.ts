import type { BenchContext } from '../BenchContext.ts'; import type { Table } from '../Table.ts'; export async function p8SumoSweep(_ctx: BenchContext): Promise<Table> { throw new Error('todo'); }
