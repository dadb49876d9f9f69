"""A block-server client written the way a course student writes one (our own code).

Usage: course_style_client.py PORT BLOCK_SIZE ROUNDS

It uses only xmlrpc.client.ServerProxy and the three methods, pads every Put to BLOCK_SIZE,
locks with RSM on block 0 (busy spin until the first byte is not 1) and releases with a Put
of zeros. Each round increments a little-endian counter in block 1 under the lock. Prints
``block 2 is all zeros: True``, one ``round N`` line per round, then ``done``; exits 0.
"""
import sys
import xmlrpc.client

port = int(sys.argv[1])
BLOCK_SIZE = int(sys.argv[2])
ROUNDS = int(sys.argv[3])

server_url = 'http://' + '127.0.0.1' + ':' + str(port)
block_server = xmlrpc.client.ServerProxy(server_url, use_builtin_types=True)

RSM_BLOCK = 0
RSM_LOCKED = bytearray(b'\x01') * 1
COUNTER_BLOCK = 1


def Get(block_number):
    data = block_server.Get(block_number)
    return bytearray(data)


def Put(block_number, block_data):
    putdata = bytearray(block_data.ljust(BLOCK_SIZE, b'\x00'))
    ret = block_server.Put(block_number, putdata)
    if ret == -1:
        print('SERVER_DISCONNECTED Put ' + str(block_number))
        quit()
    return ret


def Acquire():
    while True:
        rsm = block_server.RSM(RSM_BLOCK)
        if rsm[0] == RSM_LOCKED[0]:
            continue
        break


def Release():
    Put(RSM_BLOCK, bytearray(BLOCK_SIZE))


print('block 2 is all zeros: ' + str(Get(2) == bytearray(BLOCK_SIZE)))
for i in range(ROUNDS):
    Acquire()
    data = Get(COUNTER_BLOCK)
    counter = int.from_bytes(data[0:4], byteorder='little') + 1
    Put(COUNTER_BLOCK, counter.to_bytes(4, byteorder='little'))
    Release()
    print('round ' + str(i))
print('done')
