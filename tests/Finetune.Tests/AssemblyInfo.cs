// Each test starts a real server with its engine; on a 2-core machine they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
