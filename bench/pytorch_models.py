"""PyTorch reference models shared by the fixture generator and the benchmarks.

The CIFAR ResNets follow the layout of kuangliu/pytorch-cifar, adapted to the
three-stage CIFAR ResNet of He et al. (depth 6n + 2). The attribute names (and
hence the state-dict keys) are part of the contract with the Swift side, which
rebuilds the same networks from the same names:

    conv1.weight, bn1.{weight,bias,running_mean,running_var,num_batches_tracked},
    layer{1,2,3}.{i}.conv1.weight, .bn1.*, .conv2.weight, .bn2.*,
    layer{2,3}.0.shortcut.0.weight (1x1 conv), layer{2,3}.0.shortcut.1.* (BN),
    linear.weight, linear.bias
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes),
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out = out + self.shortcut(x)
        return F.relu(out)


class CifarResNet(nn.Module):
    def __init__(self, num_blocks_per_stage, num_classes=10):
        super().__init__()
        self.in_planes = 16
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = self._make_layer(16, num_blocks_per_stage, stride=1)
        self.layer2 = self._make_layer(32, num_blocks_per_stage, stride=2)
        self.layer3 = self._make_layer(64, num_blocks_per_stage, stride=2)
        self.linear = nn.Linear(64, num_classes)

    def _make_layer(self, planes, num_blocks, stride):
        strides = [stride] + [1] * (num_blocks - 1)
        layers = []
        for s in strides:
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = F.adaptive_avg_pool2d(out, 1)
        out = torch.flatten(out, 1)
        return self.linear(out)


def resnet(depth, num_classes=10):
    assert (depth - 2) % 6 == 0, "CIFAR ResNet depth must be 6n + 2"
    return CifarResNet((depth - 2) // 6, num_classes)


def resnet20(num_classes=10):
    return resnet(20, num_classes)


def resnet32(num_classes=10):
    return resnet(32, num_classes)


def resnet56(num_classes=10):
    return resnet(56, num_classes)


MODELS = {"resnet20": resnet20, "resnet32": resnet32, "resnet56": resnet56}


_BN_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


@torch.no_grad()
def randomize_batchnorm(model, generator=None, num_batches_tracked=7):
    """Makes every BatchNorm non-trivial: weight = 1 + 0.1 N(0,1), bias, running_mean
    = 0.1 N(0,1), running_var = U(0.5, 1.5), num_batches_tracked = the given int.
    Modules are visited in named_modules() order, so a seeded generator makes it
    deterministic."""
    for _, m in model.named_modules():
        if isinstance(m, _BN_TYPES):
            n = m.num_features
            m.weight.copy_(1.0 + 0.1 * torch.randn(n, generator=generator))
            m.bias.copy_(0.1 * torch.randn(n, generator=generator))
            m.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
            m.running_var.copy_(0.5 + torch.rand(n, generator=generator))
            m.num_batches_tracked.fill_(num_batches_tracked)
    return model
