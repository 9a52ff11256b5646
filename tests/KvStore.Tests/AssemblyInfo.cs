// Tests start engines, Redis servers and service processes: one class at a time keeps 2 cores usable.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
