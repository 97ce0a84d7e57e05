"""Lesson 06 checks: each accepts the solution and refuses wrong answers without raising."""

import torch
from torch import nn

from helpers.checks import lesson06 as checks


# --------------------------------------------------------------------------- exercise 1: the note's s


def mlp_penalty(net, lambd):
    return lambd / 2 * sum((p ** 2).sum() for p in net.parameters() if p.dim() > 1)


def test_mlp_penalty_accepts_the_solution(capsys):
    assert checks.check_mlp_penalty(mlp_penalty) is True
    assert "✅" in capsys.readouterr().out


def test_mlp_penalty_refuses_the_stub(capsys):
    def stub(net, lambd):
        # your code here
        return None
    assert checks.check_mlp_penalty(stub) is False
    assert "returned None" in capsys.readouterr().out


def test_mlp_penalty_hints(capsys):
    cases = {
        "biases are included": lambda net, lambd: lambd / 2 * sum((p ** 2).sum() for p in net.parameters()),
        "twice too large": lambda net, lambd: lambd * sum((p ** 2).sum() for p in net.parameters() if p.dim() > 1),
        "multiply by lambd": lambda net, lambd: sum((p ** 2).sum() for p in net.parameters() if p.dim() > 1) / 2,
        "squared norm": lambda net, lambd: lambd / 2 * sum(p.norm() for p in net.parameters() if p.dim() > 1),
        "no gradient": lambda net, lambd: mlp_penalty(net, lambd).detach(),
        "scalar tensor": lambda net, lambd: mlp_penalty(net, lambd).detach().item(),
    }
    for hint, fn in cases.items():
        assert checks.check_mlp_penalty(fn) is False, hint
        assert hint in capsys.readouterr().out, hint


def test_mlp_penalty_reports_an_exception(capsys):
    def broken(net, lambd):
        raise RuntimeError("boom")
    assert checks.check_mlp_penalty(broken) is False
    assert "RuntimeError: boom" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercise 2: one decayed SGD step


def decay_step(w, grad, lr, lambd):
    return w - lr * (grad + lambd * w)


def test_decay_step_accepts_the_solution_and_the_factored_form(capsys):
    assert checks.check_decay_step(decay_step) is True
    assert checks.check_decay_step(lambda w, g, lr, lambd: (1 - lr * lambd) * w - lr * g) is True
    assert "✅" in capsys.readouterr().out


def test_decay_step_hints(capsys):
    cases = {
        "plain SGD step": lambda w, g, lr, lambd: w - lr * g,
        "not λw/2": lambda w, g, lr, lambd: w - lr * (g + lambd * w / 2),
        "uphill": lambda w, g, lr, lambd: w + lr * (g + lambd * w),
        "(1 − lr·λ)": lambda w, g, lr, lambd: (1 - lambd) * w - lr * g,
        "returned None": lambda w, g, lr, lambd: None,
        "shaped like w": lambda w, g, lr, lambd: 0.0,
    }
    for hint, fn in cases.items():
        assert checks.check_decay_step(fn) is False, hint
        assert hint in capsys.readouterr().out, hint


# --------------------------------------------------------------------------- exercise 3: parameter groups


def decay_groups(net, lambd):
    weights = [p for p in net.parameters() if p.dim() > 1]
    others = [p for p in net.parameters() if p.dim() <= 1]
    return [{"params": weights, "weight_decay": lambd}, {"params": others, "weight_decay": 0.0}]


def test_decay_groups_accepts_the_solution(capsys):
    assert checks.check_decay_groups(decay_groups) is True
    assert "✅" in capsys.readouterr().out


def test_decay_groups_hints(capsys):
    def all_decayed(net, lambd):
        return [{"params": list(net.parameters()), "weight_decay": lambd}]

    def biases_left_out(net, lambd):
        return [{"params": [p for p in net.parameters() if p.dim() > 1], "weight_decay": lambd}]

    def swapped(net, lambd):
        groups = decay_groups(net, lambd)
        groups[0]["weight_decay"], groups[1]["weight_decay"] = 0.0, lambd
        return groups

    cases = {"a bias": all_decayed, "in no group": biases_left_out, "a weight matrix": swapped,
             "returned None": lambda net, lambd: None, "refused the groups": lambda net, lambd: [1, 2]}
    for hint, fn in cases.items():
        assert checks.check_decay_groups(fn) is False, hint
        assert hint in capsys.readouterr().out, hint


def test_the_solution_groups_train_a_net():
    net = nn.Sequential(nn.Linear(3, 2))
    opt = torch.optim.SGD(decay_groups(net, 0.5), lr=1.0)
    before = net[0].weight.detach().clone()
    net(torch.zeros(1, 3)).sum().backward()  # zero input: the weight gradient is 0, only the decay acts
    opt.step()
    assert torch.allclose(net[0].weight, 0.5 * before)
