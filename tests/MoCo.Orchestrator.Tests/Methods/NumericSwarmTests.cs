using MoCo.Orchestrator.Methods.Primitives;

namespace MoCo.Orchestrator.Tests.Methods;

/// <summary>H1 NumericSwarm (methods-logit-weight.md §1.3): seeded start, best bookkeeping, the M11 move, the stop
/// and restart rules, step decay, and a checkpoint that continues exactly.</summary>
public sealed class NumericSwarmTests
{
    private static SwarmSettings Settings(int population = 3, bool randomness = true, bool zero = false, int patience = 5, int restart = 3) =>
        new(Dimension: 2, Population: population, ZeroStartingVelocity: zero, WeightRandomness: randomness, Inertia: 0.2, Cognitive: 0.3, Social: 0.4,
            Repel: 0.05, RepelTerm: true, StepLength: 0.5, StepLengthFactor: 0.95, MinimumStepLength: 0.1, Patience: patience, RestartPatience: restart);

    private static SeededRng Rng(string scope) => SeededRng.For(11, "pso", scope);

    [Fact]
    public void The_start_is_seeded_and_in_the_unit_box()
    {
        var a = NumericSwarm.Start(Settings(), Rng("start"));
        var b = NumericSwarm.Start(Settings(), Rng("start"));
        var c = NumericSwarm.Start(Settings(), Rng("other"));
        Assert.Equal(Flat(a), Flat(b));
        Assert.NotEqual(Flat(a), Flat(c));
        Assert.All(Flat(a), x => Assert.InRange(x, -1, 1));
    }

    [Fact]
    public void An_update_keeps_the_first_argmax_as_global_best_and_moves_by_the_normalised_m11_step()
    {
        var swarm = NumericSwarm.Start(Settings(randomness: false, zero: true), Rng("start"));
        var before = swarm.Positions.Select(p => p.ToArray()).ToArray();
        Assert.True(swarm.Update([0.1, 0.5, 0.5], Rng("update/0")));

        Assert.Equal(0.5, swarm.GlobalBestScore);
        Assert.Equal(before[1], swarm.GlobalBest);
        // Without randomness a, b, c, d = 0.2, 0.3, 0.4, 0.05 over their sum; v = 0 and p = x on the first move, so
        // v' = c·(g − x) + d·(x − w) with w = x of the first argmin (particle 0), and x' = x + 0.5·v'.
        var (c, d) = (0.4 / 0.95, 0.05 / 0.95);
        for (var i = 0; i < 3; i++)
        {
            for (var k = 0; k < 2; k++)
            {
                var v = c * (before[1][k] - before[i][k]) + d * (before[i][k] - before[0][k]);
                Assert.Equal(before[i][k] + 0.5 * v, swarm.Positions[i][k], 12);
            }
        }
        Assert.Equal(0.475, swarm.Step, 12);
    }

    [Fact]
    public void The_search_stops_once_the_global_best_has_not_risen_for_patience_updates()
    {
        var swarm = NumericSwarm.Start(Settings(patience: 2, restart: 9), Rng("start"));
        Assert.True(swarm.Update([0.3, 0.2, 0.1], Rng("u0")));
        Assert.True(swarm.Update([0.4, 0.2, 0.1], Rng("u1")));
        var positions = Flat(swarm);
        // Third update: g stays 0.4 = max of the one before it → stop, and nothing moves.
        Assert.False(swarm.Update([0.4, 0.2, 0.1], Rng("u2")));
        Assert.Equal(positions, Flat(swarm));
        Assert.Equal([0.3, 0.4, 0.4], swarm.GlobalHistory);
    }

    [Fact]
    public void A_particle_that_stalls_restarts_at_its_personal_best()
    {
        var swarm = NumericSwarm.Start(Settings(patience: 9, restart: 2), Rng("start"));
        var first = swarm.Positions[2].ToArray();
        Assert.True(swarm.Update([0.1, 0.2, 0.9], Rng("u0")));
        Assert.True(swarm.Update([0.2, 0.3, 0.5], Rng("u1")));
        Assert.NotEqual(first, swarm.Positions[2]);
        // Particle 2's history is [0.9, 0.5, 0.4]: the last does not beat 0.5, so it goes back to where it scored 0.9.
        Assert.True(swarm.Update([0.3, 0.4, 0.4], Rng("u2")));
        Assert.Equal(first, swarm.Positions[2]);
    }

    [Fact]
    public void A_saved_swarm_continues_exactly_as_the_uninterrupted_one()
    {
        var straight = NumericSwarm.Start(Settings(), Rng("start"));
        var resumed = NumericSwarm.Start(Settings(), Rng("start"));
        straight.Update([0.1, 0.2, 0.3], Rng("u0"));
        resumed.Update([0.1, 0.2, 0.3], Rng("u0"));
        resumed = NumericSwarm.Load(Settings(), System.Text.Json.Nodes.JsonNode.Parse(resumed.Save().ToJsonString())!.AsObject());
        straight.Update([0.3, 0.1, 0.2], Rng("u1"));
        resumed.Update([0.3, 0.1, 0.2], Rng("u1"));
        Assert.Equal(Flat(straight), Flat(resumed));
        Assert.Equal(straight.Save().ToJsonString(), resumed.Save().ToJsonString());
    }

    private static double[] Flat(NumericSwarm swarm) => [.. swarm.Positions.SelectMany(p => p)];
}
