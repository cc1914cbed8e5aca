/**
 * Request bodies for GitHub's runner APIs, built as data: a just-in-time runner per job
 * (bare metal) and the runner group that confines GPU runners to the cell workflow.
 */
export interface JitConfigRequest {
  name: string;
  runner_group_id: number;
  labels: string[];
  work_folder: string;
}

export function jitConfigRequest(
  host: string,
  gpuIndex: number,
  runnerGroupId: number,
  labels: readonly string[],
): JitConfigRequest {
  // Unique per job: GitHub refuses a second runner of the same name.
  const name = `${host}-gpu${gpuIndex}-${Date.now().toString(36)}`;
  return { name, runner_group_id: runnerGroupId, labels: [...labels], work_folder: '_work' };
}

export interface RunnerGroupRequest {
  name: string;
  visibility: 'selected';
  selected_repository_ids: number[];
  restricted_to_workflows: true;
  selected_workflows: string[];
  allows_public_repositories: boolean;
}

export function runnerGroupRequest(repository: string, repositoryId: number, defaultBranch = 'main'): RunnerGroupRequest {
  return {
    name: 'ptb-evaluate',
    visibility: 'selected',
    selected_repository_ids: [repositoryId],
    restricted_to_workflows: true,
    selected_workflows: [`${repository}/.github/workflows/cell.yml@refs/heads/${defaultBranch}`],
    allows_public_repositories: true,
  };
}
