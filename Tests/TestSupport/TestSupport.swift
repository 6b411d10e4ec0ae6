import TensorCore
import DrivingData
