"""How benchmarks/torch_mlp.onnx was made (the tests read it; they never run this).

    python benchmarks/make_torch_onnx.py OUT.onnx

Needs torch (2.13.0 made the file) and onnx.  A torch.nn.Sequential(Linear(3, 4),
Tanh(), Linear(4, 2), Sigmoid()) with torch.manual_seed(0)'s float32 weights,
written by torch.onnx.export with the TorchScript exporter (dynamo=False),
opset 13.  It prints torch's outputs for two rows and, in float64 from those
float32 weights, the gradients of 0.5 * ((Y - out) ** 2).sum(), weight.grad
transposed to backprop.py's [in][out]: the numbers test_backprop.py records.
"""
import sys

import torch

X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
Y = [[0.2, 0.9], [0.7, 0.1]]


def main(path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2),
                                torch.nn.Sigmoid())
    torch.onnx.export(model, (torch.tensor(X),), path, dynamo=False, input_names=["input"],
                      output_names=["output"], opset_version=13)
    model = model.double()
    out = model(torch.tensor(X, dtype=torch.float64))
    (0.5 * ((torch.tensor(Y, dtype=torch.float64) - out) ** 2).sum()).backward()
    print("outputs", out.tolist())
    for layer in (model[0], model[2]):
        print("dW", layer.weight.grad.t().tolist())
        print("db", layer.bias.grad.tolist())


if __name__ == "__main__":
    main(sys.argv[1])
