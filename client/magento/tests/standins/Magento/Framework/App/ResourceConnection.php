<?php
// Test stand-in: a connection whose fetchCol answers category ids of the
// products named in the select's "IN (?)" condition, from a fixed map.
namespace Magento\Framework\App;

class ResourceConnection
{
    /** @param array<int, int[]> $categoriesByProduct */
    public function __construct(private array $categoriesByProduct = [])
    {
    }

    public function getTableName($name)
    {
        return $name;
    }

    public function getConnection()
    {
        $map = $this->categoriesByProduct;
        return new class ($map) {
            public function __construct(private array $map)
            {
            }

            public function select()
            {
                return new class {
                    public array $in = [];

                    public function __call($method, $args)
                    {
                        if ($method === 'where' && is_array($args[1] ?? null)) {
                            $this->in = $args[1];
                        }
                        return $this;
                    }
                };
            }

            public function fetchCol($select)
            {
                $ids = [];
                foreach ($select->in as $productId) {
                    array_push($ids, ...($this->map[$productId] ?? []));
                }
                return array_values(array_unique($ids));
            }
        };
    }
}
