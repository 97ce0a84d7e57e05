"""Lesson 01's checks pass the solutions and fail stubs and wrong answers, without raising."""

import torch

from helpers.checks import lesson01


def u_features_solution(t):
    return torch.cat([t, (t - 37) ** 2], dim=1)


def xor_solution(X):
    W1 = torch.tensor([[1.0, -1.0], [-1.0, 1.0]])
    b1 = torch.zeros(2)
    w2 = torch.ones(2)
    b2 = torch.tensor(-1.0)
    return torch.relu(X @ W1.T + b1) @ w2 + b2


def test_u_features(capsys):
    assert lesson01.check_u_features(u_features_solution) is True
    assert "✅" in capsys.readouterr().out
    assert lesson01.check_u_features(lambda t: None) is False
    assert lesson01.check_u_features(lambda t: t) is False  # a line in t: R² 0.2
    assert "(t - 37) ** 2" in capsys.readouterr().out
    assert lesson01.check_u_features(lambda t: torch.cat([t] * 6, dim=1)) is False  # too many columns
    assert lesson01.check_u_features(lambda t: t[:10]) is False  # wrong number of rows
    assert lesson01.check_u_features(lambda t: 1 / (t - t)) is False  # infinite
    assert lesson01.check_u_features(lambda t: [1, 2]) is False
    assert lesson01.check_u_features(lambda t: 1 / 0) is False  # raises inside


def test_xor_net(capsys):
    assert lesson01.check_xor_net(xor_solution) is True
    stub = lambda X: torch.relu(X @ torch.zeros(2, 2).T + torch.zeros(2)) @ torch.zeros(2) + torch.tensor(0.0)  # noqa: E731
    assert lesson01.check_xor_net(stub) is False
    assert "wrong at corner" in capsys.readouterr().out
    assert lesson01.check_xor_net(lambda X: X[:, 0] * 0 + 1) is False  # everything class 1
    assert lesson01.check_xor_net(lambda X: None) is False
    assert lesson01.check_xor_net(lambda X: torch.ones(3)) is False


def test_xor_net_right_at_corners_but_poor_on_blobs_fails(capsys):
    def corners_only(X):  # class 1 only in tiny discs round (1, -1) and (-1, 1)
        d = torch.minimum((X - torch.tensor([1.0, -1.0])).norm(dim=1), (X - torch.tensor([-1.0, 1.0])).norm(dim=1))
        return 0.05 - d

    assert lesson01.check_xor_net(corners_only) is False
    assert "blobs" in capsys.readouterr().out


def test_xor_net_with_a_fixed_number_of_scores_fails_without_raising():
    def four_scores(X):  # right at the corners, but always four scores
        return torch.tensor([-1.0, -1.0, 1.0, 1.0])

    assert lesson01.check_xor_net(four_scores) is False
