/** an operator's hands on a rollout: pause, resume, skip the current gate, or start the next ring now */
export const ROLLOUT_ACTIONS = ['pause', 'resume', 'skip-gate', 'roll-forward'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];
