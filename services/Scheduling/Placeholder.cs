namespace Platform.Engine.Scheduling; internal static class Placeholder { }
