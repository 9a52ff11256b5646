using TorchSharp;
var t = torch.ones(3, 3).matmul(torch.ones(3, 3));
System.Console.WriteLine(t.sum().item<float>());
