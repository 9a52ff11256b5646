// The metrics fixture starts real service processes; on a 2-core machine the tests run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
