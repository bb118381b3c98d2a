using System.Text.Json.Nodes;
using MoCo.Orchestrator.Config;
using MoCo.Orchestrator.Logs;
using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Methods.Text;

/// <summary>
/// text_bbmas (methods-text.md §5): per test item, agents (one per model_names entry, all backed by the best model on
/// dev unless `agents_use_own_model`) pick an action, write it to a shared blackboard and stop on enough termination
/// requests; the final iteration's conclusions are voted on. All items run in lock-step: per iteration one batch of
/// every selection, one of every execution, then the retries; then one batch per vote attempt.
/// </summary>
public sealed class BbmasMethod : ICollaborationMethod
{
    private const string IteratePhase = "test · iterations";
    private const string VotePhase = "test · vote";
    // Call sites of the agents' calls, apart from the progress phases (those count iterations and items, not calls); each
    // is a phase of its own (unit calls, total unknown) while it runs, so its calls' tokens and tokens/s are reported.
    private const string ActSite = "test · act";
    private const string BallotSite = "test · ballot";
    private const string ScorePhase = "test · score";
    private const int AgentMaxNewTokens = 8192;

    /// <inheritdoc/>
    public string Id => "text_bbmas";

    /// <inheritdoc/>
    public async Task<MethodOutcome> RunAsync(MethodContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        var hyper = config.Hyperparameters;
        var n = config.ModelNames.Count;
        var ownModels = hyper.Bool("agents_use_own_model");
        int? best = null;
        if (!ownModels)
        {
            best = (await BestOnDev.SelectAsync(context, cancellationToken).ConfigureAwait(false)).Best;
        }
        var agentModel = (int agent) => config.ModelNames[best ?? agent];
        var test = await context.Data.TestAsync(cancellationToken).ConfigureAwait(false);
        var boards = test.Items.Select(item => new Board(item, ChatPrompts.ItemKey(test, item))).ToList();
        var run = new Runner(context, agentModel, (int)hyper.Int("max_num_retries"));

        var maxIterations = (int)hyper.Int("max_iterations");
        var toAct = Math.Min(n, (int)hyper.Int("max_num_agents_to_act"));
        var toStop = (int)hyper.Int("min_num_agents_to_stop");
        await context.Recorder.BeginPhaseAsync(IteratePhase, "iterations", maxIterations, cancellationToken).ConfigureAwait(false);
        await context.Recorder.BeginPhaseAsync(ActSite, "calls", 0, cancellationToken).ConfigureAwait(false);
        for (var t = 1; t <= maxIterations && boards.Any(b => b.TerminatedBy is null); t++)
        {
            var acting = boards.Where(b => b.TerminatedBy is null).ToList();
            var turns = acting.SelectMany(b =>
            {
                var agents = Enumerable.Range(0, n).ToList();
                SeededRng.For(context.Seed, Id, "agents", b.Key, $"{t}").Shuffle(agents);
                return agents.Take(toAct).Select(a => new Turn(b, a));
            }).ToList();
            await run.ActAsync(turns, t, cancellationToken).ConfigureAwait(false);
            foreach (var board in acting)
            {
                var mine = turns.Where(x => x.Board == board).ToList();
                foreach (var turn in mine)
                {
                    board.Entries.Add(new Bbmas.Entry(board.Entries.Count, t, turn.Entry!));
                }
                board.LastIteration = t;
                if (mine.Count(x => x.Entry!.Contains(Bbmas.StopPhrase, StringComparison.Ordinal)) >= toStop)
                {
                    board.TerminatedBy = "stop";
                }
            }
            context.Recorder.Progress(IteratePhase, t);
        }
        await context.Recorder.EndPhaseAsync(ActSite, null, cancellationToken).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(IteratePhase, null, cancellationToken).ConfigureAwait(false);

        // Reaching max_iterations: the reference reads iteration max + 1, which has no entries; MoCo.NET (quirk) reads
        // the last iteration that has entries.
        var reference = config.Compat == CompatMode.Reference;
        foreach (var board in boards)
        {
            board.TerminatedBy ??= "max_iterations";
            var final = board.TerminatedBy == "max_iterations" && reference ? [] : board.Entries.Where(e => e.Iteration == board.LastIteration).ToList();
            board.Conclusions = Bbmas.Conclusions(final);
        }

        await context.Recorder.BeginPhaseAsync(VotePhase, "items", boards.Count(b => b.Conclusions.Count > 1), cancellationToken).ConfigureAwait(false);
        await context.Recorder.BeginPhaseAsync(BallotSite, "calls", 0, cancellationToken).ConfigureAwait(false);
        var answers = await run.VoteAsync(boards, reference, cancellationToken).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(BallotSite, null, cancellationToken).ConfigureAwait(false);
        await context.Recorder.EndPhaseAsync(VotePhase, null, cancellationToken).ConfigureAwait(false);

        await context.Recorder.BeginPhaseAsync(ScorePhase, "items", test.Items.Count, cancellationToken).ConfigureAwait(false);
        var scores = await context.Evaluation.ScoreAsync(test, answers, OutputKind.Raw, cancellationToken).ConfigureAwait(false);
        var logs = new JsonArray();
        for (var k = 0; k < boards.Count; k++)
        {
            var board = boards[k];
            var score = scores.Items[k].Score;
            logs.Add(new JsonObject
            {
                ["input"] = board.Item.Prompt,
                ["output"] = answers[k],
                ["score"] = score is { } s ? ReferenceSummary.Score(s) : null,
                ["num_llm_calls"] = board.Calls,
            });
            var extras = new JsonObject
            {
                ["num_llm_calls"] = board.Calls,
                ["terminated_by"] = board.TerminatedBy,
                ["blackboard"] = new JsonArray([.. board.Entries.Select(e => (JsonNode)new JsonObject { ["id"] = e.Id, ["iteration"] = e.Iteration, ["text"] = e.Text })]),
                ["conclusions"] = new JsonArray([.. board.Conclusions.Select(c => (JsonNode?)JsonValue.Create(c))]),
            };
            await context.Recorder.ItemFinishedAsync(new FinishedItem("test", test.Name, board.Item.Index, board.Item.Id, board.Item.Prompt, answers[k],
                scores.Items[k].Parsed, score, extras), cancellationToken).ConfigureAwait(false);
        }
        context.Recorder.Progress(ScorePhase, test.Items.Count);
        await context.Recorder.EndPhaseAsync(ScorePhase, null, cancellationToken).ConfigureAwait(false);

        var summary = ReferenceSummary.Named(config, "bbmas");
        summary["avg_test_score"] = ReferenceSummary.Score(scores.Mean);
        summary["avg_llm_calls"] = boards.Count == 0 ? 0.0 : boards.Average(b => (double)b.Calls);
        summary["logs"] = logs;
        var details = new JsonObject
        {
            ["agent_model"] = best is { } b ? config.ModelNames[b] : null,
            ["stopped_items"] = boards.Count(x => x.TerminatedBy == "stop"),
        };
        return new MethodOutcome(summary, scores.Mean, test.Items.Count, details);
    }

    // One test item's blackboard and its bookkeeping.
    private sealed class Board(TaskItem item, string key)
    {
        public TaskItem Item { get; } = item;

        public string Key { get; } = key;

        public List<Bbmas.Entry> Entries { get; } = [];

        public int LastIteration { get; set; }

        public string? TerminatedBy { get; set; }

        public IReadOnlyList<string> Conclusions { get; set; } = [];

        public int Calls { get; set; }
    }

    // One agent acting on one board in one iteration; Entry is set once it acted (or ran out of attempts).
    private sealed class Turn(Board board, int agent)
    {
        public Board Board { get; } = board;

        public int Agent { get; } = agent;

        public string? Entry { get; set; }
    }

    // The model calls, batched per model across items: every agent call uses 8192 new tokens (shrunk to the context),
    // temperature 1.0, top-p 1.0, and keeps any `</think>` text, as the reference's own generate loop does.
    private sealed class Runner(MethodContext context, Func<int, string> agentModel, int attempts)
    {
        private readonly GenerationSettings _settings = new(MaxNewTokens: AgentMaxNewTokens, Temperature: 1.0, TopP: 1.0, KeepThink: true);

        // Each turn: ≤ attempts × (select, and execute when the selection names one action); all boards see the board
        // as it was at the start of the iteration.
        public async Task ActAsync(IReadOnlyList<Turn> turns, int t, CancellationToken cancellationToken)
        {
            var pending = turns.ToList();
            for (var attempt = 0; attempt < attempts && pending.Count > 0; attempt++)
            {
                var index = (t - 1) * attempts + attempt;
                var selections = await BatchAsync(ActSite, pending, turn => (turn.Agent, "select", index,
                    Bbmas.SelectPrompt(turn.Board.Item.Prompt, turn.Board.Entries)), cancellationToken).ConfigureAwait(false);
                var chosen = pending.Select((turn, i) => (Turn: turn, Reply: selections[i], Action: Bbmas.Action(selections[i]))).Where(c => c.Action is not null).ToList();
                var executions = await BatchAsync(ActSite, [.. chosen.Select(c => c.Turn)], turn =>
                {
                    var c = chosen.First(x => x.Turn == turn);
                    return (turn.Agent, "execute", index, Bbmas.ExecutePrompt(turn.Board.Item.Prompt, turn.Board.Entries, c.Action!, c.Reply));
                }, cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < chosen.Count; i++)
                {
                    chosen[i].Turn.Entry = Bbmas.EntryText(chosen[i].Reply, executions[i]);
                }
                pending = [.. pending.Where(turn => turn.Entry is null)];
            }
            foreach (var turn in pending)
            {
                turn.Entry = Bbmas.InvalidAction;
            }
        }

        // Boards with several conclusions: every agent votes, ≤ attempts tries each; a vote that never parses counts 1.
        public async Task<IReadOnlyList<string>> VoteAsync(IReadOnlyList<Board> boards, bool reference, CancellationToken cancellationToken)
        {
            var n = context.Config.ModelNames.Count;
            var votes = new Dictionary<(Board, int), int>();
            var pending = boards.Where(b => b.Conclusions.Count > 1).SelectMany(b => Enumerable.Range(0, n).Select(a => new Turn(b, a))).ToList();
            for (var attempt = 0; attempt < attempts && pending.Count > 0; attempt++)
            {
                var replies = await BatchAsync(BallotSite, pending, turn => (turn.Agent, "vote", attempt,
                    Bbmas.VotePrompt(turn.Board.Item.Prompt, turn.Board.Entries, turn.Board.Conclusions)), cancellationToken).ConfigureAwait(false);
                for (var i = 0; i < pending.Count; i++)
                {
                    if (Bbmas.Vote(replies[i], reference) is { } vote)
                    {
                        votes[(pending[i].Board, pending[i].Agent)] = vote;
                    }
                }
                pending = [.. pending.Where(turn => !votes.ContainsKey((turn.Board, turn.Agent)))];
            }
            var done = 0;
            return [.. boards.Select(b =>
            {
                if (b.Conclusions.Count == 1)
                {
                    return b.Conclusions[0];
                }
                context.Recorder.Progress(VotePhase, ++done);
                return b.Conclusions[Bbmas.Tally([.. Enumerable.Range(0, n).Select(a => votes.GetValueOrDefault((b, a), 1))], b.Conclusions.Count) - 1];
            })];
        }

        // One GenerateBatch per agent model over the turns' prompts (role agent/{a}/{step}), replies in turn order.
        private async Task<IReadOnlyList<string>> BatchAsync(string site, IReadOnlyList<Turn> turns, Func<Turn, (int Agent, string Step, int Index, string Prompt)> build,
            CancellationToken cancellationToken)
        {
            var requests = turns.Select(turn =>
            {
                var (agent, step, index, prompt) = build(turn);
                var (user, prefill) = ChatPrompts.SplitPrefill(prompt);
                turn.Board.Calls++;
                return (Model: agentModel(agent), Request: new GenerationRequest(context.Site(site, $"agent/{agent}/{step}"), turn.Board.Key, index, user,
                    prefill, 1, _settings));
            }).ToList();
            var replies = new string[turns.Count];
            await Task.WhenAll(requests.Select((r, i) => (r, i)).GroupBy(p => p.r.Model).Select(async group =>
            {
                var results = await context.Generation.GenerateBatchAsync(group.Key, [.. group.Select(p => p.r.Request)], cancellationToken).ConfigureAwait(false);
                foreach (var (p, result) in group.Zip(results))
                {
                    replies[p.i] = result.Texts[0];
                }
            })).ConfigureAwait(false);
            return replies;
        }
    }
}
