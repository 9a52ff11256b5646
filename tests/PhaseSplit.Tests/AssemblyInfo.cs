// The tests start service processes that share the machine's cores with the test's own engine; one test
// at a time keeps their timings (and the deadlines they assert) meaningful on two cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
