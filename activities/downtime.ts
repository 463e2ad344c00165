import type { Adapter } from '../domain/plan';
import type { HospitalAdapter } from '../adapters/hospital';
import { enterDowntime, type DowntimePacketSummary } from '../app/downtime';
import type { Pool } from 'pg';

export interface DowntimeInput {
  programId: string;
  emergency: number;
  department: string;
  adapter: Adapter;
  forms: string[];
}

export interface LeaveDowntimeInput {
  programId: string;
  /** Absent when scheduled by a program from before it was passed (only the simulated adapter, which ignores it, had downtime then). */
  emergency?: number;
  department: string;
  adapter: Adapter;
}

export type DowntimeResult = DowntimePacketSummary;

/** The same key on every retry of one switch, a new one for the next emergency. */
const downtimeKey = (programId: string, emergency: number, department: string, which: 'enter' | 'leave') =>
  `${programId}/emergency/${emergency}/${department}/downtime-${which}`;

/**
 * Downtime during an emergency, through the department's hospital system (its adapter); the
 * packet is kept by app/downtime. Refusals are typed by failFast.
 */
export function createDowntimeActivities({ pool, adapterFor }: { pool: Pool; adapterFor: (adapter: Adapter) => HospitalAdapter }) {
  return {
    async enterDowntime(input: DowntimeInput): Promise<DowntimeResult> {
      const { forms, ...rest } = input;
      return enterDowntime(
        pool,
        adapterFor(input.adapter),
        { ...rest, idempotencyKey: downtimeKey(input.programId, input.emergency, input.department, 'enter') },
        forms,
      );
    },
    async leaveDowntime(input: LeaveDowntimeInput): Promise<void> {
      const emergency = input.emergency ?? 0;
      await adapterFor(input.adapter).leaveDowntime({
        ...input,
        emergency,
        idempotencyKey: downtimeKey(input.programId, emergency, input.department, 'leave'),
      });
    },
  };
}
