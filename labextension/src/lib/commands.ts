/** Every cellops command id, in one table (schema/plugin.json names the menu ones too). */
export const CommandIDs = {
  show: 'cellops:show-sidebar',
  promote: 'cellops:promote',
  run: 'cellops:run',
  sweep: 'cellops:sweep',
  openRuns: 'cellops:open-runs',
  openHistory: 'cellops:open-history',
  experiments: 'cellops:experiments',
  tagStage: 'cellops:tag-stage',
  tagSetup: 'cellops:tag-setup',
  tagParameters: 'cellops:tag-parameters',
  tagSkip: 'cellops:tag-skip'
} as const;
