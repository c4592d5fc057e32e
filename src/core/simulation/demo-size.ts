/** devices in the demo unless asked otherwise, and the most it makes (services/demo.ts, the CLI's demo) */
export const DEMO_DEVICES = 300;
export const MAX_DEMO_DEVICES = 3000;
