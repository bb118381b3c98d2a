using MoCo.Contracts.V1;
using MoCo.Testing;

namespace MoCo.Router.Tests;

public sealed class RouterContractTests() : PendingServiceContractTests(new RouterModule(), RouterService.Descriptor, RouterCapabilities.Pending,
    RouterCapabilities.Served);
