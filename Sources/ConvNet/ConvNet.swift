// ConvNet: work in progress; see the module's issue.
import TensorCore
