"""PyTorch's tutorial "Training a Classifier" (the CIFAR-10 one of "Deep Learning with PyTorch:
A 60 Minute Blitz"), run on gradwork with PyTorch's code unchanged but for the imports.

    python examples/cifar10_tutorial.py            # 2 epochs over the bundled digits
    TUTORIAL_STEPS=20 python examples/cifar10_tutorial.py   # a quick smoke run

The one other change: CIFAR-10 is a download, so the data set is the 5,000 real MNIST digits
bundled with gradwork (4,000 train / 1,000 test), padded to 32×32 and repeated over three
channels so that the tutorial's network (which expects 3×32×32 images) runs unchanged.
The tutorial's image-display cells (matplotlib) are left out; everything else is verbatim,
including `num_workers=2` (worker processes). TUTORIAL_STEPS caps the training mini-batches
per epoch and the test batches (for the test suite).
"""
import os

# ---- the changes: imports, and the bundled digits in place of the CIFAR-10 download --------
import numpy as np

import gradwork as torch
import gradwork.data.transforms as transforms
from gradwork import data as datasets

torch.utils = type("utils", (), {"data": datasets})      # torch.utils.data.DataLoader
MAX_STEPS = int(os.environ.get("TUTORIAL_STEPS", "0")) or None


class ThreeChannels(transforms.Transform):
    """1×H×W → 3×H×W (the gray digit in every colour channel)."""

    def __call__(self, img):
        return np.repeat(img, 3, axis=-3)

    apply_batch = __call__


def CIFAR10(root, train, download, transform):
    return datasets.MNIST(None, train=train, transform=transform)


classes = tuple(str(d) for d in range(10))
extra = [transforms.Pad(2), ThreeChannels()]
# ---------------------------------------------------------------------------------------------

transform = transforms.Compose(
    [transforms.ToTensor(), *extra,
     transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])

batch_size = 4

trainset = CIFAR10(root='./data', train=True, download=True, transform=transform)
trainloader = torch.utils.data.DataLoader(trainset, batch_size=batch_size,
                                          shuffle=True, num_workers=2)

testset = CIFAR10(root='./data', train=False, download=True, transform=transform)
testloader = torch.utils.data.DataLoader(testset, batch_size=batch_size,
                                         shuffle=False, num_workers=2)

# get some random training images
dataiter = iter(trainloader)
images, labels = next(dataiter)
# print labels
print(' '.join(f'{classes[labels[j]]:5s}' for j in range(batch_size)))

import gradwork.nn as nn  # noqa: E402 - the tutorial imports here
import gradwork.nn.functional as F  # noqa: E402 - likewise


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


net = Net()

import gradwork.optim as optim  # noqa: E402 - the tutorial imports here

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)

for epoch in range(2):  # loop over the dataset multiple times

    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        if MAX_STEPS and i >= MAX_STEPS:
            break
        # get the inputs; data is a list of [inputs, labels]
        inputs, labels = data

        # zero the parameter gradients
        optimizer.zero_grad()

        # forward + backward + optimize
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()

        # print statistics
        running_loss += loss.item()
        if i % 2000 == 1999 or (MAX_STEPS and i == MAX_STEPS - 1):  # print every 2000 mini-batches
            print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / (i % 2000 + 1):.3f}')
            running_loss = 0.0

print('Finished Training')

PATH = './cifar_net.pth'
torch.save(net.state_dict(), PATH)

dataiter = iter(testloader)
images, labels = next(dataiter)

# print images
print('GroundTruth: ', ' '.join(f'{classes[labels[j]]:5s}' for j in range(4)))

net = Net()
net.load_state_dict(torch.load(PATH))

outputs = net(images)

_, predicted = torch.max(outputs, 1)

print('Predicted: ', ' '.join(f'{classes[predicted[j]]:5s}'
                              for j in range(4)))

correct = 0
total = 0
# since we're not training, we don't need to calculate the gradients for our outputs
with torch.no_grad():
    for k, data in enumerate(testloader):
        if MAX_STEPS and k >= MAX_STEPS:
            break
        images, labels = data
        # calculate outputs by running images through the network
        outputs = net(images)
        # the class with the highest energy is what we choose as prediction
        _, predicted = torch.max(outputs, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()

print(f'Accuracy of the network on the {total} test images: {100 * correct // total} %')

# prepare to count predictions for each class
correct_pred = {classname: 0 for classname in classes}
total_pred = {classname: 0 for classname in classes}

# again no gradients needed
with torch.no_grad():
    for k, data in enumerate(testloader):
        if MAX_STEPS and k >= MAX_STEPS:
            break
        images, labels = data
        outputs = net(images)
        _, predictions = torch.max(outputs, 1)
        # collect the correct predictions for each class
        for label, prediction in zip(labels, predictions):
            if label == prediction:
                correct_pred[classes[label]] += 1
            total_pred[classes[label]] += 1


# print accuracy for each class
for classname, correct_count in correct_pred.items():
    if total_pred[classname]:
        accuracy = 100 * float(correct_count) / total_pred[classname]
        print(f'Accuracy for class: {classname:5s} is {accuracy:.1f} %')
