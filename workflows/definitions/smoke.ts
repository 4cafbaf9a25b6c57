import { z } from 'zod';

/** Input of {@link smokeWorkflow}: which vCenter to reach, by configured name only. */
export const SmokeInput = z.object({ vcenter: z.string().min(1) });
export type SmokeInput = z.infer<typeof SmokeInput>;

/** What the smoke workflow saw: the vCenter answered and listed its libraries. */
export const SmokeResult = z.object({
  vcenter: z.string(),
  libraryCount: z.number().int().nonnegative(),
});
export type SmokeResult = z.infer<typeof SmokeResult>;
