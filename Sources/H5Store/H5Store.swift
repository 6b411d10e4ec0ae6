// H5Store: work in progress; see the module's issue.
import TensorCore
