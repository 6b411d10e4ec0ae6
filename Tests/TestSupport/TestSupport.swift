import DrivingData
import TensorCore
