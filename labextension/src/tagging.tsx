import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import {
  afterOf,
  OPTION_KEYS,
  OptionKey,
  optionsOf,
  Role,
  ROLES,
  roleOf,
  STAGE_NAME,
  stageOf,
  withAfter,
  withOption,
  withRole,
  withStage
} from './lib/tags';
import { replaceTag, tagProblems } from './lib/tagfix';
import { TagProblems } from './components/TagProblems';
import { IAnalysis } from './tokens';

export interface ITaggingViewProps {
  analysis: IAnalysis | null;
  cellId: string;
  cellNumber: number;
  tags: string[];
  /** Tags of the cell that starts the active cell's stage (options and after: live there). */
  stageCell: { id: string; tags: string[] } | null;
  trans: TranslationBundle;
  onTags: (cellId: string, tags: string[]) => void;
}

const NEW = '\u0000new';

const OPTION_HINTS: Record<OptionKey, string> = {
  cpu: '2, 0.5, 500m',
  memory: '512Mi, 4Gi',
  gpu: '1',
  retries: '2',
  timeout: '90s, 30m, 2h',
  cache: '',
  image: 'python:3.11-slim'
};

function OptionField(props: {
  name: OptionKey;
  value: string;
  onCommit: (value: string) => void;
}): JSX.Element {
  const [draft, setDraft] = React.useState(props.value);
  React.useEffect(() => setDraft(props.value), [props.value]);
  const commit = () => {
    if (draft.trim() !== props.value) {
      props.onCommit(draft);
    }
  };
  return (
    <label className="jp-cellops-Option">
      <span>{props.name}</span>
      <input
        className="jp-mod-styled"
        data-option={props.name}
        value={draft}
        placeholder={OPTION_HINTS[props.name]}
        onChange={e => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={e => e.key === 'Enter' && commit()}
      />
    </label>
  );
}

/**
 * Tag the active cell: its stage, its role, and its stage's `after:` edges and options.
 */
export function TaggingView(props: ITaggingViewProps): JSX.Element {
  const { trans, tags, cellId } = props;
  const [newName, setNewName] = React.useState<string | null>(null);
  const stages = props.analysis?.stages.map(s => s.name) ?? [];
  const own = stageOf(tags);
  const role = roleOf(tags);
  const info = props.analysis?.cells.find(c => c.id === cellId);
  const inherited = info?.stage ?? null;
  const stageCell = props.stageCell;
  const stageTags = stageCell?.tags ?? [];
  const options = optionsOf(stageTags);
  const after = afterOf(stageTags);
  const set = (next: string[]) => props.onTags(cellId, next);
  const setStageTags = (next: string[]) =>
    stageCell && props.onTags(stageCell.id, next);

  const chooseStage = (value: string) => {
    if (value === NEW) {
      setNewName('');
      return;
    }
    setNewName(null);
    set(withStage(withRole(tags, null), value || null));
  };
  const nameOk = newName !== null && STAGE_NAME.test(newName);
  const addStage = () => {
    if (nameOk) {
      set(withStage(withRole(tags, null), newName));
      setNewName(null);
    }
  };
  const toggleRole = (r: Role) => set(withRole(tags, role === r ? null : r));
  const toggleAfter = (name: string) =>
    setStageTags(
      withAfter(
        stageTags,
        after.includes(name) ? after.filter(a => a !== name) : [...after, name]
      )
    );

  return (
    <div className="jp-cellops-Tagging" data-cell-id={cellId}>
      <div className="jp-cellops-Row">
        <span className="jp-cellops-Label">{trans.__('Stage')}</span>
        <select
          className="jp-mod-styled jp-cellops-StageSelect"
          value={newName !== null ? NEW : (own ?? '')}
          disabled={role !== null}
          onChange={e => chooseStage(e.target.value)}
        >
          <option value="">
            {inherited && !own
              ? trans.__('continue %1', inherited)
              : trans.__('(no stage tag)')}
          </option>
          {stages.map(s => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
          {own && !stages.includes(own) && <option value={own}>{own}</option>}
          <option value={NEW}>{trans.__('New stage…')}</option>
        </select>
      </div>
      {newName !== null && (
        <div className="jp-cellops-Row">
          <input
            className="jp-mod-styled jp-cellops-NewStage"
            autoFocus
            value={newName}
            placeholder={trans.__('stage name, e.g. train')}
            onChange={e => setNewName(e.target.value.toLowerCase())}
            onKeyDown={e => e.key === 'Enter' && addStage()}
          />
          <button
            className="jp-mod-styled jp-mod-accept jp-cellops-AddStage"
            disabled={!nameOk}
            onClick={addStage}
          >
            {trans.__('Add')}
          </button>
        </div>
      )}
      {newName && !nameOk && (
        <div className="jp-cellops-FieldError">
          {trans.__(
            'lower-case letters, digits, - and _; starting with a letter'
          )}
        </div>
      )}
      <TagProblems
        problems={tagProblems(
          tags,
          cellId,
          props.analysis?.diagnostics ?? [],
          stages
        )}
        trans={trans}
        onFix={(tag, fix) => set(replaceTag(tags, tag, fix))}
      />
      <div className="jp-cellops-Row jp-cellops-Roles">
        {ROLES.map(r => (
          <label key={r} className="jp-cellops-Toggle">
            <input
              type="checkbox"
              data-role={r}
              checked={role === r}
              onChange={() => toggleRole(r)}
            />
            {r}
          </label>
        ))}
      </div>
      {stageCell && inherited && role === null && (
        <>
          <div className="jp-cellops-SubHeader">
            {trans.__('Stage %1', inherited)}
          </div>
          {stages.filter(s => s !== inherited).length > 0 && (
            <div className="jp-cellops-Row jp-cellops-After">
              <span className="jp-cellops-Label">{trans.__('after')}</span>
              {stages
                .filter(s => s !== inherited)
                .map(s => (
                  <label key={s} className="jp-cellops-Toggle">
                    <input
                      type="checkbox"
                      data-after={s}
                      checked={after.includes(s)}
                      onChange={() => toggleAfter(s)}
                    />
                    {s}
                  </label>
                ))}
            </div>
          )}
          <div className="jp-cellops-Options">
            {OPTION_KEYS.filter(k => k !== 'cache').map(k => (
              <OptionField
                key={k}
                name={k}
                value={options[k] ?? ''}
                onCommit={v => setStageTags(withOption(stageTags, k, v))}
              />
            ))}
            <label className="jp-cellops-Toggle">
              <input
                type="checkbox"
                data-option="cache"
                checked={options.cache !== 'off'}
                onChange={e =>
                  setStageTags(
                    withOption(
                      stageTags,
                      'cache',
                      e.target.checked ? '' : 'off'
                    )
                  )
                }
              />
              {trans.__('cache results')}
            </label>
          </div>
        </>
      )}
    </div>
  );
}
