"""The model zoo: one architecture family per file, each constructor registered by name.

    model = gradwork.models.resnet18(num_classes=10)      # every zoo name is a constructor here
    model = gradwork.models.get_model("resnet18", num_classes=10)
    gradwork.models.list_models()

Where torchvision has the model, the constructor's name, arguments and `state_dict` keys are
torchvision's, so its weights load unchanged. As in torchvision, `gradwork.models.alexnet` and
`gradwork.models.googlenet` are the constructors; their files are reached by full import
(`from gradwork.models.alexnet import AlexNet`).
"""
from .alexnet import AlexNet, LRNConvNet, alexnet, alexnet_paper, zfnet
from .captioning import ShowAndTell, show_and_tell
from .char_lm import CharRNN, char_lm
from .cifar_resnet import (
                           CifarResNet,
                           plain8,
                           plain20,
                           plain32,
                           plain44,
                           plain56,
                           plain110,
                           resnet8,
                           resnet20,
                           resnet32,
                           resnet44,
                           resnet56,
                           resnet110,
)
from .dcgan import Discriminator, Generator, dcgan_discriminator, dcgan_generator
from .densenet import (
                           DenseNet,
                           DenseNetCIFAR,
                           densenet121,
                           densenet169,
                           densenet201,
                           densenet_bc_100_12,
)
from .gnmt import GNMT, gnmt
from .googlenet import GoogLeNet, GoogLeNetOutputs, googlenet, googlenet_paper
from .inception_resnet import InceptionResNetV2, inception_resnet_v2
from .lenet import LeNet5, lenet5, lenet5_28
from .registry import (
                           ACTIVATION_PER_INPUT_BYTE,
                           MODEL_SPECS,
                           TASKS,
                           ModelSpec,
                           estimate_forward_bytes,
                           example_inputs,
                           example_shapes,
                           get_model,
                           list_models,
                           model_spec,
                           register,
)
from .resnet import (
                           BasicBlock,
                           Bottleneck,
                           ResNet,
                           plain18,
                           plain34,
                           plain50,
                           plain101,
                           plain152,
                           resnet18,
                           resnet34,
                           resnet50,
                           resnet101,
                           resnet152,
)
from .resnext import resnext50_32x4d, resnext101_32x8d, resnext101_64x4d
from .segnet import SegNet, segnet
from .seq2seq import Seq2SeqAttention, seq2seq_attention
from .speech import SpokenDigitCTC, SpokenDigitRNN, digit_gru, digit_lstm
from .tagger import BiLSTMTagger, bilstm_tagger
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn
from .xnor_alexnet import BinaryAlexNet, bwn_alexnet, xnor_alexnet
from .xnor_lenet import BinaryLeNet5, bwn_lenet5, xnor_lenet5
from .xnor_resnet import BinaryCifarResNet, bwn_resnet8, bwn_resnet20, xnor_resnet8, xnor_resnet20
