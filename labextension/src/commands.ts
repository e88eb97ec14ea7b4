import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  Notification
} from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { cellopsIcon } from './icons';
import { CommandIDs } from './lib/commands';
import { Role, STAGE_NAME, withRole, withStage } from './lib/tags';
import type { MainViews } from './models/views';
import type { CellopsSidebar } from './sidebar';
import type { IPackageViews } from './views';

const NO_ARGS = { args: { type: 'object', properties: {} } };

/**
 * Register the commands, and put every one in the palette.
 */
export function addCommands(
  app: JupyterFrontEnd,
  sidebar: CellopsSidebar,
  tracker: INotebookTracker,
  trans: TranslationBundle,
  palette: ICommandPalette | null,
  views: MainViews,
  packageViews: IPackageViews
): void {
  const { commands } = app;
  const hasNotebook = () => tracker.currentWidget !== null;
  const hasCell = () => !!tracker.currentWidget?.content.activeCell;
  const show = () => app.shell.activateById(sidebar.id);
  const reveal = (section: string) => () => {
    show();
    sidebar.revealSection(section);
  };

  commands.addCommand(CommandIDs.show, {
    label: trans.__('Show the cellops sidebar'),
    describedBy: NO_ARGS,
    execute: show
  });
  commands.addCommand(CommandIDs.promote, {
    label: trans.__('Promote to pipeline'),
    caption: trans.__('Turn this notebook into a papermill pipeline package'),
    icon: cellopsIcon,
    describedBy: NO_ARGS,
    isEnabled: hasNotebook,
    execute: async () => {
      show();
      await sidebar.promote(tracker.currentWidget);
    }
  });
  commands.addCommand(CommandIDs.run, {
    label: trans.__('Run the pipeline'),
    caption: trans.__(
      'Run the promoted pipeline with the parameters of the form'
    ),
    describedBy: NO_ARGS,
    isEnabled: hasNotebook,
    execute: async () => {
      reveal('pipeline')();
      await sidebar.runPipeline();
    }
  });
  // Opened from the palette (the current notebook's package) or by the layout restorer.
  const packageArgs = {
    args: {
      type: 'object',
      properties: {
        package: { type: 'string', description: 'the package folder' },
        notebook: { type: 'string', description: 'its source notebook' }
      }
    }
  };
  const viewArgs = (args: ReadonlyPartialJSONObject) => {
    const pkg = (args.package as string | undefined) ?? sidebar.runsPackage;
    const notebook =
      (args.notebook as string | undefined) ??
      tracker.currentWidget?.context.path ??
      '';
    return pkg ? { pkg, notebook } : null;
  };
  // Enabled without a notebook too: the restorer reopens a saved view at start.
  const hasPackage = (args: ReadonlyPartialJSONObject) =>
    viewArgs(args) !== null;
  commands.addCommand(CommandIDs.sweep, {
    label: trans.__('Sweep parameters…'),
    caption: trans.__('Run the pipeline over a grid of parameter values'),
    describedBy: packageArgs,
    isEnabled: hasPackage,
    execute: async args => {
      const target = viewArgs(args);
      if (target) {
        const known = args.package === undefined;
        await packageViews.openSweep(
          target,
          known ? sidebar.runParameters : null
        );
      }
    }
  });
  commands.addCommand(CommandIDs.openRuns, {
    label: trans.__('Open runs'),
    caption: trans.__(
      'The runs of this pipeline: status, logs, Resume, Re-run, Cancel'
    ),
    describedBy: packageArgs,
    isEnabled: hasPackage,
    execute: async args => {
      const target = viewArgs(args);
      if (target) {
        const known = args.package === undefined;
        await packageViews.openRuns(
          target,
          known ? sidebar.runParameters : null
        );
      }
    }
  });
  commands.addCommand(CommandIDs.openHistory, {
    label: trans.__('Show cell history'),
    caption: trans.__(
      'Every recorded version of the active cell: code, outputs, diff, restore'
    ),
    describedBy: NO_ARGS,
    execute: () => views.openHistory()
  });
  commands.addCommand(CommandIDs.experiments, {
    label: trans.__('Experiments of this notebook'),
    caption: trans.__('Every recorded cell execution: compare, filter, plot'),
    describedBy: {
      args: {
        type: 'object',
        properties: { path: { type: 'string' } }
      }
    },
    isEnabled: args => !!args.path || hasNotebook(),
    execute: args => views.openExperiments(args.path as string | undefined)
  });
  commands.addCommand(CommandIDs.tagStage, {
    label: trans.__('Tag cell as a new stage…'),
    caption: trans.__('This cell starts a pipeline stage (stage:NAME)'),
    describedBy: NO_ARGS,
    isEnabled: hasCell,
    execute: async () => {
      const answer = await InputDialog.getText({
        title: trans.__('New stage'),
        label: trans.__('Stage name (lower case, digits, _ or -)'),
        placeholder: trans.__('train')
      });
      const name = answer.value?.trim();
      if (!answer.button.accept || !name) {
        return;
      }
      if (!STAGE_NAME.test(name)) {
        Notification.error(
          trans.__(
            'Stage name "%1" is not valid: start with a lower-case letter, then letters, digits, _ or - (at most 63).',
            name
          )
        );
        return;
      }
      sidebar.tagActiveCell(tags => withStage(withRole(tags, null), name));
    }
  });
  const roles: [string, Role, string][] = [
    [CommandIDs.tagSetup, 'setup', trans.__('Tag cell as setup')],
    [
      CommandIDs.tagParameters,
      'parameters',
      trans.__('Tag cell as parameters')
    ],
    [CommandIDs.tagSkip, 'skip', trans.__('Tag cell as skip')]
  ];
  for (const [id, role, label] of roles) {
    commands.addCommand(id, {
      label,
      describedBy: NO_ARGS,
      isEnabled: hasCell,
      execute: () => {
        sidebar.tagActiveCell(tags => withRole(tags, role));
      }
    });
  }
  const category = trans.__('cellops');
  for (const command of Object.values(CommandIDs)) {
    palette?.addItem({ command, category });
  }
}
