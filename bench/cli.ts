// The data scientist's command line: `npm run bench -- <experiment> [options]`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { readFile, stat } from 'node:fs/promises';
import type { Metrics } from '../shared/metrics';
import { runFederated } from './experiments/federated';
import { generateSynthetic, loadDataset, loadMovieLens100kSplit, syntheticLike, DATASET_FORMATS, type DatasetFormat, type MovieLens100kFold } from './datasets';
import type { InteractionData } from '../shared/data/interactions';
import { initBackend, describeBackend } from '../models/backend';
import { runCentralized, type RatingSplits } from './experiments/centralized';
import { PROTOCOLS, type Protocol } from './experiments/evaluation';
import { choiceOption, intOption, listOption, numberOption } from './cli-options';
import { runSecaggCost } from './experiments/secagg-cost';
import { runSecaggAttacks } from './experiments/secagg-attacks';
import { runPrivacySweep } from './experiments/privacy-sweep';
import { calibrateNoiseMultiplier, compose, createAccountant, DEFAULT_ORDERS, epsilon } from '../shared/dp';
import { formatTable, printMetricsTable } from './table';
import { runLocalUpdateSpeed } from './experiments/local-update-speed';
import { runServeLoad } from './experiments/serve-load';
import { runUnlearning } from './experiments/unlearning';
import { CHECKPOINT_DEFAULTS, SAFETY_DEFAULTS } from '../server/training/defaults';
import { CHECKPOINT_SPACINGS, type CheckpointSpacing } from '../server/training/checkpoint-policy';
import { DEFAULT_CLIP_NORM, END_OF_ROUND_DEFAULTS } from '../models/federated/end-of-round';
import { IMPLICIT_DEFAULTS } from '../models/mf/implicit-als';
import { runExplanations } from './experiments/explanations';
import { DEFAULT_LEVELS, runVariety } from './experiments/variety';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The embedded default dataset: MovieLens latest-small, vendored under data/. */
export const DEFAULT_DATA = path.join(repoRoot, 'data', 'ml-latest-small', 'ratings.csv');

function dataOptions(cmd: Command): Command {
  return cmd
    .option('--data <path>', 'ratings file or folder (MovieLens 100K/1M/10M/latest or user,item,value[,timestamp] CSV)', DEFAULT_DATA)
    .addOption(new Option('--format <format>', 'force the file format instead of detecting it from the path').choices(DATASET_FORMATS as readonly string[]))
    .option('--seed <n>', 'random seed (splits, sampling, initialisation)', intOption(0), 42)
    .option('--out <dir>', 'output folder for results.json and report.html');
}

/** A target ε: a positive number, or inf for no noise. */
function epsilonOption(value: string): number {
  if (/^(inf|infinity)$/i.test(value.trim())) return Infinity;
  return numberOption(0)(value);
}

/** Options shared by `federated` and `privacy-sweep`. */
function federatedOptions(cmd: Command): Command {
  return cmd
    .option('--protocol <name>', 'evaluation protocol: loo|full', choiceOption(['loo', 'full'] as const), 'loo' as const)
    .option('--rounds <n>', 'training rounds', intOption(1, 100_000), 40)
    .option('--clients-per-round <n>', 'expected cohort size (Poisson sampling rate = n / users)', intOption(3, 1_000_000), 120)
    .option('--local-epochs <n>', 'local epochs per device', intOption(1, 100), 1)
    .option('--graph <kind>', 'secure-aggregation graph: complete (Bonawitz) or sparse (SecAgg+)', choiceOption(['complete', 'sparse'] as const), 'sparse' as const)
    .option('--dropout <p>', 'probability that a sampled device drops out (at a random stage)', numberOption(0, true, 0.9), 0)
    .option('--dim <k>', 'embedding dimension', intOption(1, 1024), 32)
    .option('--clip-norm <c>', 'L2 clipping bound of each update', numberOption(0), DEFAULT_CLIP_NORM)
    .option('--server-lr <x>', 'server step size', numberOption(0, false, 2), END_OF_ROUND_DEFAULTS.serverLearningRate)
    .option('--averaging <x>', 'EMA decay of the served table (0 = serve the latest iterate)', numberOption(0, true, 0.999), END_OF_ROUND_DEFAULTS.averaging)
    .option('--eval-every <n>', 'evaluate every n rounds', intOption(1), 5)
    .option('--centralized <results.json>', 'a centralized results.json to plot beside the curve')
    .option('--synthetic-users <n>', 'train on a synthetic population of n users with the per-user statistics of --data (the foundation generator)', intOption(10, 10_000_000))
    .option('--synthetic-items <n>', 'with --synthetic-users: the catalogue size (default: that of --data)', intOption(10, 10_000_000))
    .option('--attack-targets <n>', 'devices the curious-server attack targets in the last round', intOption(1, 10_000), 20);
}

/** The options `federated` and `privacy-sweep` parse in common. */
interface FederatedCliOptions {
  data: string;
  format?: DatasetFormat;
  seed: number;
  out?: string;
  protocol: 'loo' | 'full';
  rounds: number;
  clientsPerRound: number;
  localEpochs: number;
  graph: 'complete' | 'sparse';
  dropout: number;
  dim: number;
  clipNorm: number;
  serverLr: number;
  averaging: number;
  evalEvery: number;
  centralized?: string;
  syntheticUsers?: number;
  syntheticItems?: number;
  attackTargets: number;
}

/** Load the data (or its synthetic look-alike) and the optional centralized results a federated run needs. */
async function federatedInputs(opts: FederatedCliOptions) {
  const backend = describeBackend(await initBackend());
  let data = await loadDataset(opts.data, opts.format ? { format: opts.format } : {});
  if (opts.syntheticItems && !opts.syntheticUsers) throw new Error('--synthetic-items needs --synthetic-users');
  if (opts.syntheticUsers) data = generateSynthetic(syntheticLike(data, { users: opts.syntheticUsers, seed: opts.seed, ...(opts.syntheticItems && { items: opts.syntheticItems }) })).data;
  const centralized = opts.centralized ? (JSON.parse(await readFile(opts.centralized, 'utf8')) as { metrics: Metrics }) : undefined;
  process.stderr.write(`dataset ${data.name}: ${data.users} users, ${data.items} items; backend ${backend}\n`);
  return {
    data, backend, protocol: opts.protocol, rounds: opts.rounds, clientsPerRound: opts.clientsPerRound, localEpochs: opts.localEpochs,
    graph: opts.graph, dropout: opts.dropout, seed: opts.seed, dim: opts.dim, clipNorm: opts.clipNorm, serverLearningRate: opts.serverLr,
    averaging: opts.averaging, evalEvery: opts.evalEvery, attackTargets: opts.attackTargets, ...(centralized && { centralized }),
  };
}


/** Build the CLI program (exported for tests). */
export function buildProgram(): Command {
  const program = new Command('bench')
    .description('Confidant benchmarks: accuracy, privacy and cost on real rating data')
    .showHelpAfterError()
    .configureOutput({ outputError: (str, write) => write(str) });

  dataOptions(program.command('centralized').description('train the centralized model and the ItemPop baseline, evaluate, and report'))
    .option('--protocol <name>', `evaluation protocol: ${PROTOCOLS.join('|')}`, choiceOption(PROTOCOLS), 'loo' as Protocol)
    .option('--dim <k>', 'embedding dimension', intOption(1, 1024))
    .option('--epochs <n>', 'ALS epochs', intOption(1, 1000))
    .option('--lambda <x>', 'ridge regularisation λ', numberOption(0))
    .option('--alpha <x>', 'implicit confidence slope α (c = 1 + α·rating/5)', numberOption(0, true))
    .option('--splits <n>', 'rating protocol: random 80/20 splits to average', intOption(1, 100), 5)
    .addOption(new Option('--folds <k>', 'rating protocol: k-fold cross-validation instead of random splits').argParser(intOption(2, 100)).conflicts('mlFold'))
    .addOption(new Option('--ml-fold <name>', "rating protocol: MovieLens 100K's own u<name>.base/u<name>.test files in the --data folder").choices(['1', '2', '3', '4', '5', 'a', 'b']))
    .action(async (opts: { data: string; format?: DatasetFormat; seed: number; out?: string; protocol: Protocol; dim?: number; epochs?: number; lambda?: number; alpha?: number; splits: number; folds?: number; mlFold?: MovieLens100kFold }) => {
      if ((opts.folds !== undefined || opts.mlFold !== undefined) && opts.protocol !== 'rating') throw new Error('--folds and --ml-fold apply to --protocol rating only');
      const backend = describeBackend(await initBackend());
      let data: InteractionData;
      let ratingSplits: RatingSplits | undefined;
      if (opts.mlFold !== undefined) {
        const dir = (await stat(opts.data)).isDirectory() ? opts.data : path.dirname(opts.data);
        const split = await loadMovieLens100kSplit(dir, opts.mlFold);
        data = split.train;
        ratingSplits = { kind: 'given', label: `MovieLens u${opts.mlFold}.base/u${opts.mlFold}.test`, splits: [split] };
      } else {
        data = await loadDataset(opts.data, opts.format ? { format: opts.format } : {});
        if (opts.folds !== undefined) ratingSplits = { kind: 'kfold', folds: opts.folds };
      }
      const out = path.resolve(opts.out ?? path.join('out', `centralized-${opts.protocol}`));
      process.stderr.write(`dataset ${data.name}: ${data.users} users, ${data.items} items, ${data.user.length} interactions; backend ${backend}\n`);
      const results = await runCentralized({ ...opts, data, out, backend, ...(ratingSplits && { ratingSplits }), log: (l) => process.stderr.write(`${l}\n`) });
      printMetricsTable(results);
      process.stdout.write(`\nwrote ${path.join(out, 'results.json')} and ${path.join(out, 'report.html')}\n`);
    });

  federatedOptions(dataOptions(program.command('federated').description('federated training with the real client and protocol code in one process (no sockets)')))
    .option('--secagg <on|off>', 'secure aggregation (off: the server sums plain fixed-point updates)', choiceOption(['on', 'off'] as const), 'on' as const)
    .option('--dp <mode>', 'differential privacy: off, central (server adds noise) or distributed (devices add noise)', choiceOption(['off', 'central', 'distributed'] as const), 'off' as const)
    .option('--noise-multiplier <sigma>', 'σ of the Gaussian mechanism (with --dp)', numberOption(0), 1)
    .option('--delta <d>', 'δ of the (ε, δ) guarantee', numberOption(0, false, 0.5), 1e-6)
    .action(async (opts: FederatedCliOptions & { secagg: 'on' | 'off'; dp: 'off' | 'central' | 'distributed'; noiseMultiplier: number; delta: number }) => {
      const inputs = await federatedInputs(opts);
      const out = path.resolve(opts.out ?? path.join('out', `federated-${opts.protocol}-secagg-${opts.secagg}${opts.dp === 'off' ? '' : `-dp-${opts.dp}`}`));
      const privacy = opts.dp === 'off' ? undefined : { mode: opts.dp, noiseMultiplier: opts.noiseMultiplier, delta: opts.delta, epsilonBudget: Number.MAX_VALUE };
      const results = await runFederated({ ...inputs, out, secagg: opts.secagg === 'on', ...(privacy && { privacy }) });
      printMetricsTable(results);
      process.stdout.write(`bytes per device and round: up ${results.bytesPerDevice.up.toFixed(0)} (plain 32-bit update ${results.bytesPerDevice.plainUpdate}), down ${results.bytesPerDevice.down.toFixed(0)}; device ${results.timings.meanDeviceSecondsPerRound!.toFixed(3)} s, server ${results.timings.meanServerSecondsPerRound!.toFixed(3)} s per round\n`);
      process.stdout.write(`\nwrote ${path.join(out, 'results.json')} and ${path.join(out, 'report.html')}\n`);
    });

  federatedOptions(dataOptions(program.command('privacy-sweep').description('accuracy versus privacy: federated training at each ε (or σ), with the curious-server attack AUC')))
    .option('--epsilon <list>', 'target ε values, inf for no noise', listOption(epsilonOption), [0.5, 1, 2, 4, 8, Infinity])
    .option('--sigma <list>', 'noise multipliers instead of ε targets (0 for no noise)', listOption(numberOption(0, true)))
    .option('--delta <d>', 'δ of the (ε, δ) guarantee', numberOption(0, false, 0.5), 1e-6)
    .option('--noise <mode>', 'central (server adds noise) or distributed (devices add noise)', choiceOption(['central', 'distributed'] as const), 'central' as const)
    .option('--secagg <on|off>', 'run the secure-aggregation protocol (off: plain fixed-point sum, the same result: see the conformance suite)', choiceOption(['on', 'off'] as const), 'off' as const)
    .action(async (opts: FederatedCliOptions & { epsilon: number[]; sigma?: number[]; delta: number; noise: 'central' | 'distributed'; secagg: 'on' | 'off' }) => {
      const inputs = await federatedInputs(opts);
      const out = path.resolve(opts.out ?? path.join('out', `privacy-sweep-${opts.protocol}`));
      const levels = opts.sigma ? opts.sigma.map((sigma) => ({ sigma })) : opts.epsilon.map((e) => ({ epsilon: e }));
      const { rows } = await runPrivacySweep({ ...inputs, out, levels, delta: opts.delta, noise: opts.noise, secagg: opts.secagg === 'on' });
      const key = opts.protocol === 'loo' ? 'HR@10' : 'Recall@20';
      process.stdout.write(`${formatTable(['ε', 'σ', key, 'attack AUC', 'plain FedAvg AUC', 'secagg AUC', 'prior AUC'], rows.map((r) => [Number.isFinite(r.epsilon) ? r.epsilon : 'inf', r.sigma, r.metrics[key] ?? NaN, r.attackAUC, r.attack?.plainAUC ?? NaN, r.attack?.secaggAUC ?? NaN, r.attack?.priorAUC ?? NaN]))}\n`);
      process.stdout.write(`\nwrote ${path.join(out, 'results.json')} and ${path.join(out, 'report.html')}\n`);
    });

  dataOptions(program.command('explanations').description('how faithful the served "why" is: exact shares, the counterfactual test, and deletion curves against random and cosine explainers'))
    .option('--users <n>', 'users to sample (default: all with 5 or more training items)', intOption(1))
    .option('--shards <n>', 'user shards, each training its own model; the served score is their mean', intOption(1, 64), 1)
    .action(async (opts: { data: string; format?: DatasetFormat; seed: number; out?: string; users?: number; shards: number }) => {
      const backend = describeBackend(await initBackend());
      const data = await loadDataset(opts.data, opts.format ? { format: opts.format } : {});
      const out = path.resolve(opts.out ?? path.join('out', 'explanations'));
      process.stderr.write(`dataset ${data.name}: ${data.users} users, ${data.items} items, ${data.user.length} interactions; backend ${backend}\n`);
      const r = await runExplanations({ data, seed: opts.seed, out, backend, shards: opts.shards, ...(opts.users !== undefined && { users: opts.users }), log: (l) => process.stderr.write(`${l}\n`) });
      process.stdout.write(`${r.users} users, ${r.pairs} (user, item) pairs, ${r.config.shards} shard(s); ${r.timings.total!.toFixed(1)} s\n`);
      process.stdout.write(`max |bias + Σ shares − score| = ${r.maxShareGap.toExponential(3)} (${r.maxShareGapFloat32Ulps.toPrecision(3)} float32 ulps of the score)\n`);
      process.stdout.write(`counterfactual (largest share removed): mean |change − share| ${r.counterfactualMeanAbsGap.toFixed(4)} (mean share ${r.counterfactualMeanShare.toFixed(4)}, mean change ${r.counterfactualMeanChange.toFixed(4)}), Spearman ρ ${r.counterfactualRankCorrelation.toFixed(4)}\n`);
      const ks = Object.keys(r.rows[0]!.del);
      process.stdout.write(`${formatTable(['explainer', ...ks.map((k) => `DEL@${k}`)], r.rows.map((row) => [row.explainer, ...ks.map((k) => row.del[k]!)]))}\n`);
      process.stdout.write(`shares beat both baselines at ${ks.map((k) => `DEL@${k} ${r.sharesBeatBaselines[k] ? 'yes' : 'no'}`).join(', ')}\n`);
      process.stdout.write(`\nwrote ${path.join(out, 'results.json')} and ${path.join(out, 'report.html')}\n`);
    });

  dataOptions(program.command('variety').description("what the app's Variety control trades: HR@10, intra-list diversity, coverage and miscalibration at each level"))
    .option('--levels <list>', 'variety levels in [0, 1]', listOption(numberOption(0, true, 1)), DEFAULT_LEVELS)
    .action(async (opts: { data: string; format?: DatasetFormat; seed: number; out?: string; levels: number[] }) => {
      const backend = describeBackend(await initBackend());
      const data = await loadDataset(opts.data, opts.format ? { format: opts.format } : {});
      const out = path.resolve(opts.out ?? path.join('out', 'variety'));
      process.stderr.write(`dataset ${data.name}: ${data.users} users, ${data.items} items, ${data.user.length} interactions; backend ${backend}\n`);
      const r = await runVariety({ data, levels: opts.levels, seed: opts.seed, out, backend, log: (l) => process.stderr.write(`${l}\n`) });
      process.stdout.write(`${formatTable(['level', 'default', 'HR@10', 'ild', 'coverage', 'miscalibration'], r.rows.map((row) => [row.level, row.default ? 'yes' : '', row.metrics['HR@10'], row.metrics.ild, row.metrics.coverage, row.metrics.miscalibration]))}\n`);
      if (r.check) process.stdout.write(`default vs level 0: miscalibration × ${r.check.miscalibrationRatio.toFixed(3)}, HR@10 × ${r.check.hrRatio.toFixed(3)} (${r.check.passes ? 'within' : 'outside'} the bar: ≤ 0.5 and ≥ 0.95)\n`);
      process.stdout.write(`\nwrote ${path.join(out, 'results.json')}\n`);
    });

  dataOptions(program.command('serve-load').description('the real server under load: /v1/items/:id/similar and /v1/recommendations driven by autocannon on loopback'))
    .option('--seconds <n>', 'seconds per run', intOption(1, 3600), 10)
    .option('--rate <n>', 'requests per second offered to each route in the fixed-rate run', intOption(1, 1_000_000), 500)
    .option('--connections <n>', 'concurrent connections', intOption(1, 10_000), 50)
    .action(async (opts: { data: string; format?: DatasetFormat; seed: number; out?: string; seconds: number; rate: number; connections: number }) => {
      const data = await loadDataset(opts.data, opts.format ? { format: opts.format } : {});
      const out = path.resolve(opts.out ?? path.join('out', 'serve-load'));
      const { rows } = await runServeLoad({ data, seconds: opts.seconds, rate: opts.rate, connections: opts.connections, seed: opts.seed, out });
      process.stdout.write(`${formatTable(['route', 'mode', 'rps', 'p50 ms', 'p99 ms', 'errors'], rows.map((r) => [r.route, r.mode, r.rps, r.p50Ms, r.p99Ms, r.errors]))}\n`);
      process.stdout.write(`\nwrote ${path.join(out, 'results.json')} and ${path.join(out, 'report.html')}\n`);
    });

  program
    .command('unlearning')
    .description("exact forgetting against the number of shards: served accuracy, delete time, recovery, exactness and a membership attack, on the server's own code")
    .option('--data <path>', 'ratings file or folder (MovieLens 100K/1M/10M/latest or user,item,value[,timestamp] CSV)', DEFAULT_DATA)
    .addOption(new Option('--format <format>', 'force the file format instead of detecting it from the path').choices(DATASET_FORMATS as readonly string[]))
    .option('--shards <list>', 'numbers of shards to compare', listOption(intOption(1, 256)), [1, 2, 4, 8])
    .option('--dp <list>', 'DP settings to run: off, central', listOption(choiceOption(['off', 'central'] as const)), ['off' as const])
    .option('--deletions <n>', 'users deleted per run', intOption(1, 10_000), 5)
    .option('--rounds <n>', 'training rounds per shard before the deletions (and the most allowed to recover after)', intOption(1, 10_000), 40)
    .option('--seeds <list>', 'seeds (sampling, initialisation, which users are deleted, negatives)', listOption(intOption(0)), [1, 2, 3, 4, 5])
    .option('--secagg <on|off>', 'run the secure-aggregation protocol (off: the plain fixed-point sum, equal to it)', choiceOption(['on', 'off'] as const), 'off' as const)
    .option('--clients-per-round <n>', 'expected cohort over all shards (Poisson rate q = n / users)', intOption(3, 1_000_000), 120)
    .option('--noise-multiplier <sigma>', 'σ with --dp central', numberOption(0), 1)
    .option('--delta <d>', 'δ of the (ε, δ) guarantee', numberOption(0, false, 0.5), 1e-6)
    .option('--checkpoints <k>', 'checkpoints kept per shard', intOption(2, 1000), CHECKPOINT_DEFAULTS.keep)
    .option('--checkpoint-spacing <how>', 'uniform or exponential', choiceOption(CHECKPOINT_SPACINGS), CHECKPOINT_DEFAULTS.spacing)
    .option('--out <dir>', 'output folder for results.json and report.html', path.join('out', 'unlearning'))
    .action(async (opts: { data: string; format?: DatasetFormat; shards: number[]; dp: ('off' | 'central')[]; deletions: number; rounds: number; seeds: number[]; secagg: 'on' | 'off'; clientsPerRound: number; noiseMultiplier: number; delta: number; checkpoints: number; checkpointSpacing: CheckpointSpacing; out: string }) => {
      const backend = describeBackend(await initBackend());
      const data = await loadDataset(opts.data, opts.format ? { format: opts.format } : {});
      process.stderr.write(`dataset ${data.name}: ${data.users} users, ${data.items} items; backend ${backend}\n`);
      const out = path.resolve(opts.out);
      const { rows } = await runUnlearning({
        data,
        shards: opts.shards,
        dp: [...new Set(opts.dp)],
        deletions: opts.deletions,
        rounds: opts.rounds,
        seeds: opts.seeds,
        secagg: opts.secagg === 'on',
        clientsPerRound: opts.clientsPerRound,
        noiseMultiplier: opts.noiseMultiplier,
        delta: opts.delta,
        checkpoints: { keep: opts.checkpoints, spacing: opts.checkpointSpacing },
        serverLearningRate: END_OF_ROUND_DEFAULTS.serverLearningRate,
        averaging: END_OF_ROUND_DEFAULTS.averaging,
        clipNorm: DEFAULT_CLIP_NORM,
        dim: IMPLICIT_DEFAULTS.dim,
        out,
      });
      process.stdout.write(`${formatTable(['S', 'DP', 'HR@10', 'NDCG@10', 'delete s', 'discarded', 'recover', 'speedup', 'exact', 'member AUC', 'control', 'prior'], rows.map((r) => [r.shards, r.dp ? 'central' : 'off', r.metrics['HR@10'], r.metrics['NDCG@10'], r.deleteSeconds, r.roundsLost, r.recoveryRounds ?? 'n/a', r.speedupOverRetrain ?? 'n/a', r.exact ? 'yes' : 'NO', r.membershipAUC, r.membershipControlAUC, r.membershipPriorAUC]))}\n`);
      process.stdout.write(`\nwrote ${path.join(out, 'results.json')} and ${path.join(out, 'report.html')}\n`);
    });

  program
    .command('secagg-cost')
    .description('measure secure aggregation alone: device time, server time and bytes per device versus cohort size')
    .option('--clients <list>', 'cohort sizes', listOption(intOption(3, 100_000)), [10, 50, 100, 200, 1000])
    .option('--dim <d>', 'values in the vector', intOption(1, 50_000_000), 300_000)
    .option('--dropout <p>', 'fraction of devices dropping after sending shares', numberOption(0, true, 0.5), 0.1)
    .option('--graph <kind>', 'complete (Bonawitz) or sparse (SecAgg+)', choiceOption(['complete', 'sparse'] as const), 'sparse' as const)
    .option('--corrupt-fraction <gamma>', 'fraction of a cohort the thresholds assume the server controls (0 gives the thresholds before issue 17)', numberOption(0, true, 0.49), SAFETY_DEFAULTS.corruptFraction)
    .option('--expected-dropout <p>', 'dropout the thresholds must survive', numberOption(0, true, 0.9), SAFETY_DEFAULTS.expectedDropout)
    .option('--seed <n>', 'random seed', intOption(0), 42)
    .option('--out <dir>', 'output folder', path.join('out', 'secagg-cost'))
    .action(async (opts: { clients: number[]; dim: number; dropout: number; graph: 'complete' | 'sparse'; corruptFraction: number; expectedDropout: number; seed: number; out: string }) => {
      const { corruptFraction, expectedDropout, ...rest } = opts;
      const rows = await runSecaggCost({ ...rest, safety: { corruptFraction, expectedDropout }, out: path.resolve(opts.out) });
      process.stdout.write(`${formatTable(['clients', 'degree', 't', 'status', 'device s', 'server s', 'bytes up/device', 'overhead B', 'up/plain'], rows.map((r) => [r.clients, r.degree, r.threshold, r.status, r.deviceSeconds, r.serverSeconds, Math.round(r.bytesUpPerDevice), Math.round(r.overheadBytesPerDevice), r.uploadRatio]))}\n`);
      process.stdout.write(`\nwrote ${path.resolve(opts.out, 'results.json')} and ${path.resolve(opts.out, 'report.html')}\n`);
    });

  program
    .command('secagg-attacks')
    .description('play each lying-server and Sybil attack against the real server and device code, and check whether it read one device\'s input')
    .option('--out <dir>', 'output folder', path.join('out', 'secagg-attacks'))
    .action(async (opts: { out: string }) => {
      const r = await runSecaggAttacks({ out: path.resolve(opts.out) });
      process.stdout.write(`${formatTable(['attack', 'play', 'outcome', 'what the server learned', "Today's code (d005f38)"], r.rows.map((x) => [x.attack, x.variant, x.outcome, x.learned, x.oldCode.short]))}\n\n`);
      process.stdout.write(`${formatTable(['attack', 'cohort', 'budget ⌈γN⌉', 'Sybils to leak'], r.sybilsNeeded.map((x) => [x.attack, x.cohort, x.budget, x.sybilsToLeak ?? `none ≤ ${x.tried}`]))}\n\n`);
      process.stdout.write(`${formatTable(['control (must leak)', 'outcome', 'via'], r.controls.map((x) => [x.control, x.outcome, x.via]))}\n`);
      const leaked = r.rows.filter((x) => x.outcome === 'leaked');
      // No row may leak: one that does is a protocol bug, and the command says so in its exit status.
      if (leaked.length > 0) {
        process.stderr.write(`\n${leaked.length} attack(s) read the victim's input: ${leaked.map((x) => `${x.attack} (${x.variant})`).join('; ')}\n`);
        process.exitCode = 1;
      }
      process.stdout.write(`\nwrote ${path.resolve(opts.out, 'results.json')} and ${path.resolve(opts.out, 'report.html')}\n`);
    });

  program
    .command('epsilon')
    .description('privacy of the Poisson-subsampled Gaussian mechanism: ε for a noise multiplier, or the σ for a target ε')
    .requiredOption('--q <rate>', 'Poisson sampling rate in [0, 1] (0: nothing is spent)', numberOption(0, true, 1))
    .option('--sigma <σ>', 'noise multiplier σ (noise std = σ · clip norm)', numberOption(0, true))
    .option('--target-epsilon <ε>', 'instead of --sigma: find the smallest σ whose ε does not exceed this', numberOption(0))
    .requiredOption('--steps <T>', 'rounds (compositions)', intOption(0))
    .requiredOption('--delta <δ>', 'target δ in (0, 1)', numberOption(0, false, 1))
    .option('--json', 'print one JSON object', false)
    .action((opts: { q: number; sigma?: number; targetEpsilon?: number; steps: number; delta: number; json: boolean }) => {
      if ((opts.sigma === undefined) === (opts.targetEpsilon === undefined)) throw new Error('give exactly one of --sigma and --target-epsilon');
      if (!(opts.delta < 1)) throw new Error('--delta must be below 1');
      const orders = DEFAULT_ORDERS;
      const started = performance.now();
      const sigma = opts.sigma ?? calibrateNoiseMultiplier({ targetEpsilon: opts.targetEpsilon!, targetDelta: opts.delta, samplingRate: opts.q, steps: opts.steps });
      const account = compose(createAccountant({ orders }), { samplingRate: opts.q, noiseMultiplier: sigma, steps: opts.steps });
      const { epsilon: eps, order } = epsilon(account, opts.delta);
      const computeMs = performance.now() - started;
      // JSON has no Infinity: σ = 0 (no noise) reports epsilon null with "unbounded": true.
      if (opts.json) process.stdout.write(`${JSON.stringify({ epsilon: Number.isFinite(eps) ? eps : null, ...(Number.isFinite(eps) ? {} : { unbounded: true }), order: Number.isFinite(order) ? order : null, sigma, q: opts.q, steps: opts.steps, delta: opts.delta, computeMs })}\n`);
      else process.stdout.write(`ε = ${eps} at δ = ${opts.delta} (best Rényi order ${order}); σ = ${sigma}, q = ${opts.q}, T = ${opts.steps}; computed in ${computeMs.toFixed(1)} ms\n`);
    });

  program
    .command('local-update')
    .description("time one device's local update (the federated client's hot path) on a random item table")
    .option('--items <n>', 'catalogue size', intOption(1, 10_000_000), 10_000)
    .option('--dim <k>', 'embedding dimension', intOption(1, 1024), 32)
    .option('--history <n>', 'items in the device history', intOption(1), 150)
    .option('--epochs <n>', 'local epochs', intOption(1, 100), 1)
    .option('--repeats <n>', 'timed repetitions', intOption(1, 100_000), 50)
    .option('--seed <n>', 'random seed', intOption(0), 42)
    .option('--reference', 'also time the plain-loop reference implementation', false)
    .action(async (opts: { items: number; dim: number; history: number; epochs: number; repeats: number; seed: number; reference: boolean }) => {
      const backend = describeBackend(await initBackend());
      const r = runLocalUpdateSpeed(opts);
      const rows: (string | number)[][] = [['tfjs', r.tfjs.medianMs, r.tfjs.p90Ms, r.tfjs.minMs]];
      if (r.reference) rows.push(['reference (plain loops)', r.reference.medianMs, r.reference.p90Ms, r.reference.minMs]);
      process.stdout.write(`backend ${backend}; items ${opts.items}, dim ${opts.dim}, history ${opts.history}, epochs ${opts.epochs}; table upload ${r.prepareMs.toFixed(1)} ms (once per model version)\n`);
      process.stdout.write(`${formatTable(['implementation', 'median ms', 'p90 ms', 'min ms'], rows)}\n`);
    });

  return program;
}

/** Run the CLI; any error is printed as one line and exits with status 1 (never a stack dump for bad input). */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.CONFIDANT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await main(process.argv.slice(2));
}
