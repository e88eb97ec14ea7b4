/**
 * The user's cellops settings (schema/plugin.json), read into one typed value.
 */
export interface ISidebarSettings {
  defaultJobs: number;
  pollingInterval: number;
  showBadges: boolean;
  promoteTarget: string;
}

export const DEFAULT_SETTINGS: ISidebarSettings = {
  defaultJobs: 2,
  pollingInterval: 400,
  showBadges: true,
  promoteTarget: '{name}-pipeline'
};

/**
 * The settings registry validates against the schema, but a hand-edited file that fails the
 * validation still reaches us: fall back to the default for each value that is not usable.
 */
export function readSettings(
  composite: Record<string, unknown>
): ISidebarSettings {
  const int = (key: 'defaultJobs' | 'pollingInterval', min: number) => {
    const v = composite[key];
    return typeof v === 'number' && Number.isInteger(v) && v >= min
      ? v
      : DEFAULT_SETTINGS[key];
  };
  const target = composite.promoteTarget;
  return {
    defaultJobs: int('defaultJobs', 1),
    pollingInterval: int('pollingInterval', 100),
    showBadges:
      typeof composite.showBadges === 'boolean'
        ? composite.showBadges
        : DEFAULT_SETTINGS.showBadges,
    promoteTarget:
      typeof target === 'string' && target.includes('{name}')
        ? target
        : DEFAULT_SETTINGS.promoteTarget
  };
}
