// Engine tests share torch's global state (thread pool, the live tensor count that leak checks read)
// and the machine's two cores; running them one at a time keeps those checks exact.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
